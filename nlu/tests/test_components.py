"""Our featurizers and intent classifier as Rasa components: train, persist, load, process."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.sparse
from rasa.engine.graph import ExecutionContext
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from phuket_nlu.char_ngrams import CharNgramFeaturizer
from phuket_nlu.embeddings import EmbeddingCache, encode
from phuket_nlu.intent_classifier import BlendedIntentClassifier
from phuket_nlu.sentence_encoder import SentenceEncoderFeaturizer
from phuket_nlu.tokenizer import PhuketTokenizer

CONTEXT = ExecutionContext(None)


@pytest.fixture
def storage(tmp_path: Path) -> LocalModelStorage:
    return LocalModelStorage(tmp_path)


def component(cls, storage, name, **config):
    return cls.create({**cls.get_default_config(), **config}, storage, Resource(name), CONTEXT)


def tokenized(*texts: str, intents=None) -> list[Message]:
    tokenizer = PhuketTokenizer({**PhuketTokenizer.get_default_config(), "place_dictionary": []}, None, None)
    messages = [
        Message.build(text=text, intent=(intents[i] if intents else None)) for i, text in enumerate(texts)
    ]
    tokenizer.process(messages)
    return messages


def sentence_features(message: Message):
    return [f for f in message.features if f.type == "sentence" and f.attribute == "text"]


def test_char_ngrams_count_the_ngrams_of_words_and_survive_persistence(storage):
    training = TrainingData(tokenized("help me", "ช่วยด้วย มีคนจมน้ำ", "救命"))
    featurizer = component(CharNgramFeaturizer, storage, "chars", max_ngram=2)
    featurizer.train(training)
    featurizer.process_training_data(training)
    loaded = CharNgramFeaturizer.load(
        {**CharNgramFeaturizer.get_default_config(), "max_ngram": 2}, storage, Resource("chars"), CONTEXT
    )
    [again] = loaded.process(tokenized("help me"))
    trained = sentence_features(training.training_examples[0])[0].features
    assert (sentence_features(again)[0].features != trained).nnz == 0
    # "help me" has 2 + 5 + 2 + 3 + ... n-grams of one and two characters within its words.
    assert trained.sum() > 10
    [unseen] = loaded.process(tokenized("zzz"))
    # Only the word boundary (char_wb pads each word with spaces) was seen before.
    assert sentence_features(unseen)[0].features.nnz == 1


def test_sentence_encoder_places_translations_together():
    featurizer = SentenceEncoderFeaturizer(SentenceEncoderFeaturizer.get_default_config(), "use")
    vectors = featurizer.encode(
        ["มีคนจมน้ำ ช่วยด้วย", "someone is drowning, help", "where is the nearest hospital"]
    )
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    assert vectors.shape == (3, 512)
    thai_to_english_sos = float(vectors[0] @ vectors[1])
    thai_sos_to_hospital = float(vectors[0] @ vectors[2])
    assert thai_to_english_sos > thai_sos_to_hospital + 0.2


def test_sentence_encoder_adds_one_dense_sentence_feature_per_message():
    featurizer = SentenceEncoderFeaturizer(SentenceEncoderFeaturizer.get_default_config(), "use")
    messages = tokenized("hello", "สวัสดี")
    featurizer.process(messages)
    for message in messages:
        [feature] = sentence_features(message)
        assert feature.is_dense() and feature.features.shape == (1, 512)


def with_features(text: str, intent: str | None, sparse: list[float], dense: list[float]) -> Message:
    message = Message.build(text=text, intent=intent)
    message.add_features(Features(scipy.sparse.coo_matrix([sparse]), "sentence", "text", "counts"))
    message.add_features(Features(np.array([dense], dtype=np.float32), "sentence", "text", "embedding"))
    return message


def test_linear_part_learns_from_sparse_and_dense_features_and_reloads(storage):
    # Intent "a" is told apart by the sparse block, "c" only by the dense block.
    examples = (
        [with_features(f"a{i}", "a", [3, 0], [0, 1]) for i in range(20)]
        + [with_features(f"b{i}", "b", [0, 3], [0, 1]) for i in range(20)]
        + [with_features(f"c{i}", "c", [0, 3], [2, 2]) for i in range(5)]
    )
    config = {"max_iter": 200, "ranking_length": 2, "neighbour_weight": 0.0}
    classifier = component(BlendedIntentClassifier, storage, "intents", **config)
    classifier.train(TrainingData(examples))
    probe = [
        with_features("x", None, [3, 0], [0, 1]),
        with_features("y", None, [0, 3], [0, 1]),
        with_features("z", None, [0, 3], [2, 2]),
    ]
    classifier.process(probe)
    assert [m.get("intent")["name"] for m in probe] == ["a", "b", "c"]
    assert len(probe[0].get("intent_ranking")) == 2
    assert probe[0].get("intent")["confidence"] > 0.9

    loaded = BlendedIntentClassifier.load(
        {**BlendedIntentClassifier.get_default_config(), **config}, storage, Resource("intents"), CONTEXT
    )
    again = [with_features("z", None, [0, 3], [2, 2])]
    loaded.process(again)
    assert again[0].get("intent")["name"] == "c"
    assert again[0].get("intent")["confidence"] == pytest.approx(probe[2].get("intent")["confidence"])


def test_nearest_examples_vote_by_embedding_similarity(storage):
    """Words that say nothing (the same sparse features everywhere): the embeddings decide."""
    rng = np.random.default_rng(7)

    def near(x: float, y: float) -> list[float]:
        return [x + rng.normal(0, 0.1), y + rng.normal(0, 0.1)]

    examples = [with_features(f"f{i}", "fire", [1, 1], near(1, 0)) for i in range(10)] + [
        with_features(f"s{i}", "shelter", [1, 1], near(0, 1)) for i in range(10)
    ]
    config = {"neighbours": 3, "neighbour_weight": 1.0}
    classifier = component(BlendedIntentClassifier, storage, "vote", **config)
    classifier.train(TrainingData(examples))
    loaded = BlendedIntentClassifier.load(
        {**BlendedIntentClassifier.get_default_config(), **config}, storage, Resource("vote"), CONTEXT
    )
    probe = [with_features("p", None, [1, 1], [0.9, 0.2]), with_features("q", None, [1, 1], [0.1, 0.8])]
    loaded.process(probe)
    assert [m.get("intent")["name"] for m in probe] == ["fire", "shelter"]
    assert probe[0].get("intent")["confidence"] > 0.9


def test_classifier_without_training_leaves_messages_alone(storage):
    classifier = BlendedIntentClassifier.load(
        BlendedIntentClassifier.get_default_config(), storage, Resource("missing"), CONTEXT
    )
    message = with_features("x", None, [1, 0], [0, 0])
    classifier.process([message])
    assert message.get("intent") is None


def test_embedding_cache_gives_what_the_encoder_gives(tmp_path):
    cache = EmbeddingCache(tmp_path / "embeddings")
    first = cache.encode(["help me", "ช่วยด้วย"], update=True)
    assert len(cache.load()) == 2
    second = cache.encode(["ช่วยด้วย", "救命"], update=False)
    assert np.allclose(second[0], first[1])
    assert np.allclose(second, encode(["ช่วยด้วย", "救命"]), atol=1e-5)
    # Not stored without update: the file holds what it held.
    assert sorted(cache.load()) == sorted(EmbeddingCache.key(t) for t in ["help me", "ช่วยด้วย"])


def test_an_unreadable_cache_is_ignored(tmp_path):
    cache = EmbeddingCache(tmp_path)
    cache.path.write_bytes(b"not an npz")
    assert cache.load() == {}
    assert cache.encode(["hello"], update=False).shape == (1, 512)
