from __future__ import annotations

import pytest

from bot.dialogue.emergency_keywords import detect_emergency
from bot.dialogue.understanding import UNSURE_EMERGENCY, _from_parse, parse_payload
from bot.language import guess_language_from_script
from bot.nlu import ParseResult


def test_button_payloads_skip_the_nlu():
    understood = parse_payload('/report_emergency{"incident_type": "fire"}')
    assert understood is not None
    assert (understood.intent, understood.entities) == ("report_emergency", {"incident_type": "fire"})
    assert parse_payload("/find_hospital").intent == "find_hospital"
    assert parse_payload("find hospital") is None
    assert parse_payload("/broken{json") is None


@pytest.mark.parametrize(
    ("text", "incident_type"),
    [
        ("ช่วยด้วย มีคนจมน้ำ", "drowning"),
        ("ชวยดวยยยย", "unknown"),
        ("HELP!!! my son is drowning", "drowning"),
        ("救命啊 有人溺水", "drowning"),
        ("Помогите! пожар в отеле", "fire"),
        ("도와주세요 교통사고 났어요", "traffic_accident"),
        ("助けて！火事です", "fire"),
        ("Hilfe! Mein Freund ist bewusstlos", "medical"),
        ("au secours on m'a volé mon sac", "crime"),
        ("SOS", "unknown"),
        ("ช่วยยยยยยย", "unknown"),
        ("HELP HELP HELP", "unknown"),
        ("хелп хелп", "unknown"),
        ("求救！！！", "unknown"),
    ],
)
def test_sos_words_in_every_language(text, incident_type):
    signal = detect_emergency(text)
    assert signal is not None, text
    assert signal.incident_type == incident_type


@pytest.mark.parametrize(
    "text",
    [
        "nearest hospital to Patong",
        "fireworks at the beach tonight?",
        "hello",
        "สวัสดีครับ",
        "ช่วยบอกทางไปป่าตองหน่อย",
        "help menu",
    ],
)
def test_ordinary_messages_are_not_sos(text):
    assert detect_emergency(text) is None


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("สวัสดี", "th"),
        ("你好", "zh"),
        ("こんにちは", "ja"),
        ("안녕하세요", "ko"),
        ("привет", "ru"),
        ("hello", None),
    ],
)
def test_script_languages(text, code):
    assert guess_language_from_script(text).code == code


@pytest.mark.parametrize(
    ("text", "model_intent"),
    [("сос сос сос", "incident_status"), ("HELP HELP HELP", "emergency_numbers"), ("ช่วยยยยย", "help")],
)
def test_a_bare_cry_for_help_is_an_sos_whatever_the_model_says(text, model_intent):
    understood = _from_parse(ParseResult(text, model_intent, 0.93), text, None, 0.0, 0.5)
    assert understood.intent == "report_emergency"


def test_a_fallback_whose_best_guess_is_an_sos_asks_whether_it_is_an_emergency():
    text = "the kid is not answering"
    ranking = (("nlu_fallback", 0.3), ("report_emergency", 0.41), ("incident_status", 0.39))
    parsed = ParseResult(text, "nlu_fallback", 0.3, ranking=ranking)
    assert detect_emergency(text) is None
    assert _from_parse(parsed, text, None, 0.0, 0.35).intent == UNSURE_EMERGENCY
    other = ParseResult(text, "nlu_fallback", 0.3, ranking=(("nlu_fallback", 0.3), ("greet", 0.41)))
    assert _from_parse(other, text, None, 0.0, 0.35).intent is None


def test_keywords_do_not_overrule_a_confident_question():
    text = "where is the nearest hospital, my friend is bleeding"
    understood = _from_parse(ParseResult(text, "find_hospital", 0.95), text, None, 0.0, 0.5)
    assert understood.intent == "find_hospital"


@pytest.mark.parametrize(
    ("text", "model_intent"),
    [("no, nobody is injured", "deny"), ("没人受伤", "deny"), ("thanks, the ambulance came fast", "thank")],
)
def test_a_no_or_a_thank_you_that_names_an_emergency_is_not_a_new_sos(text, model_intent):
    assert detect_emergency(text) is not None  # the keywords alone would call it an SOS
    understood = _from_parse(ParseResult(text, model_intent, 0.9), text, None, 0.0, 0.5)
    assert understood.intent == model_intent
