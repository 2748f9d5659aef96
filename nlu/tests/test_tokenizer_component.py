"""The Rasa component: tokens on real Rasa `Message`s, and its dictionary built from data."""

from __future__ import annotations

from pathlib import Path

import pytest
from rasa.engine.graph import ExecutionContext
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from phuket_nlu.language_id import LanguageIdentifier
from phuket_nlu.tokenizer import PhuketTokenizer

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def trained_tokenizer(tmp_path_factory):
    storage = LocalModelStorage(tmp_path_factory.mktemp("storage"))
    resource = Resource("tokenizer")
    config = {**PhuketTokenizer.get_default_config(), "place_dictionary": [str(ROOT / "data" / "places")]}
    tokenizer = PhuketTokenizer.create(config, storage, resource, ExecutionContext(None))
    example = Message.build(
        text="มีคนจมน้ำที่หาดไม้ขาว",
        intent="report_emergency",
        entities=[{"start": 4, "end": 9, "value": "drowning", "entity": "incident_type"}],
    )
    tokenizer.train(TrainingData([example]))
    return PhuketTokenizer.load(config, storage, resource, ExecutionContext(None))


def tokens_of(tokenizer, text):
    message = Message.build(text=text)
    tokenizer.process([message])
    return [(t.text, t.start, t.end) for t in message.get("text_tokens")]


def test_thai_place_names_from_the_place_data_stay_whole(trained_tokenizer):
    tokens = tokens_of(trained_tokenizer, "โรงพยาบาลใกล้ป่าตองที่สุด")
    assert ("ป่าตอง", 13, 19) in tokens


def test_entity_values_of_the_training_data_join_the_dictionary(trained_tokenizer):
    assert [t[0] for t in tokens_of(trained_tokenizer, "เพื่อนจมน้ำ")][-1] == "จมน้ำ"


def test_token_offsets_slice_the_original_message(trained_tokenizer):
    text = "HELP!! ช่วยยยย มีคนจมน้ำที่ patong 🆘 call 1669"
    for _token_text, start, end in tokens_of(trained_tokenizer, text):
        original = text[start:end]
        assert original.strip() == original and original
    assert [t[0] for t in tokens_of(trained_tokenizer, text)][-2:] == ["call", "1669"]


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("โรงพยาบาลใกล้ป่าตองที่สุด", "th"),
        ("nearest hospital to Patong please", "en"),
        ("芭东最近的医院在哪里", "zh"),
        ("Где ближайшая больница на Патонге", "ru"),
        ("빠똥 근처 병원 어디예요", "ko"),
        ("パトンの近くの病院はどこですか", "ja"),
        ("Wo ist das nächste Krankenhaus in Patong", "de"),
        ("où est l'hôpital le plus proche de Patong", "fr"),
    ],
)
def test_language_identifier(text, code):
    message = Message.build(text=text)
    LanguageIdentifier().process([message])
    language = message.get("language")
    assert language["code"] == code
    assert language["confidence"] >= 0.7


def test_short_latin_messages_are_not_confidently_identified():
    message = Message.build(text="ok")
    LanguageIdentifier().process([message])
    assert message.get("language")["confidence"] < 0.5


def tags_of(tokenizer, text):
    message = Message.build(text=text)
    tokenizer.process([message])
    return [(t.text, t.get("pos")) for t in message.get("text_tokens")]


def test_words_of_known_place_names_are_tagged_for_the_entity_extractor(trained_tokenizer):
    assert tags_of(trained_tokenizer, "nearest hospital to Kata Noi") == [
        ("nearest", "X"),
        ("hospital", "X"),
        ("to", "X"),
        ("Kata", "PROPN"),
        ("Noi", "PROPN"),
    ]
    assert ("ป่าตอง", "PROPN") in tags_of(trained_tokenizer, "โรงพยาบาลใกล้ป่าตองที่สุด")
    assert ("Патонге", "PROPN") in tags_of(trained_tokenizer, "Где больница на Патонге?")


def test_a_stored_model_tags_the_same_places(trained_tokenizer, tmp_path):
    """The place names are in the model: serving needs no data files."""
    assert trained_tokenizer.places.spans("nearest hospital to Patong") == [(20, 26)]
