"""Rasa featurizer: counts of the character n-grams of a message's words, as sentence features.

What Rasa's `CountVectorsFeaturizer` with `analyzer: char_wb` gives the intent classifier (the
n-grams of the tokens joined by spaces, so Thai and Chinese words cut by our tokenizer count as
words), computed for all messages in one vectorizer call and without the per-token matrices that
featurizer also builds for DIET. No component of our pipeline reads per-token counts (the CRF
has its own token features), and building them took 12 of the 60 seconds of a training.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Dict, List, Optional, Text

import scipy.sparse
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.featurizers.sparse_featurizer.sparse_featurizer import SparseFeaturizer
from rasa.nlu.tokenizers.tokenizer import Tokenizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.feature_extraction.text import CountVectorizer

logger = logging.getLogger(__name__)

VOCABULARY_FILE = "vocabulary.json"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True)
class CharNgramFeaturizer(SparseFeaturizer, GraphComponent):
    """Sentence features: counts of the n-grams of characters inside the words of the text."""

    @classmethod
    def required_components(cls) -> List[type]:
        return [Tokenizer]

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            **SparseFeaturizer.get_default_config(),
            "min_ngram": 1,
            "max_ngram": 4,
            # The most frequent n-grams of the training data; the classifier's size grows with it.
            "max_features": 12000,
        }

    @classmethod
    def validate_config(cls, config: Dict[Text, Any]) -> None:
        if not 1 <= int(config["min_ngram"]) <= int(config["max_ngram"]):
            raise ValueError("CharNgramFeaturizer: need 1 <= min_ngram <= max_ngram")
        if int(config["max_features"]) < 1:
            raise ValueError("CharNgramFeaturizer: max_features must be at least 1")

    def __init__(
        self,
        config: Dict[Text, Any],
        name: Text,
        model_storage: ModelStorage,
        resource: Resource,
        vocabulary: Optional[Dict[str, int]] = None,
    ) -> None:
        super().__init__(name, config)
        self._model_storage = model_storage
        self._resource = resource
        self._vectorizer: Optional[CountVectorizer] = (
            self._make_vectorizer(vocabulary) if vocabulary is not None else None
        )

    def _make_vectorizer(self, vocabulary: Optional[Dict[str, int]] = None) -> CountVectorizer:
        return CountVectorizer(
            analyzer="char_wb",
            ngram_range=(int(self._config["min_ngram"]), int(self._config["max_ngram"])),
            lowercase=True,
            max_features=None if vocabulary is not None else int(self._config["max_features"]),
            vocabulary=vocabulary,
        )

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> CharNgramFeaturizer:
        return cls(config, execution_context.node_name, model_storage, resource)

    @staticmethod
    def _document(message: Message) -> str:
        """The message's words joined by spaces (what `char_wb` n-grams stay within)."""
        return " ".join(token.text for token in message.get(TOKENS_NAMES[TEXT]) or [])

    def train(self, training_data: TrainingData) -> Resource:
        documents = [self._document(m) for m in training_data.training_examples if m.get(TEXT)]
        vectorizer = self._make_vectorizer()
        vectorizer.fit(documents)
        vocabulary = {str(ngram): int(index) for ngram, index in vectorizer.vocabulary_.items()}
        self._vectorizer = self._make_vectorizer(vocabulary)
        with self._model_storage.write_to(self._resource) as directory:
            (directory / VOCABULARY_FILE).write_text(json.dumps(vocabulary, ensure_ascii=False), "utf-8")
        logger.info("character n-grams: %d", len(vocabulary))
        return self._resource

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> CharNgramFeaturizer:
        try:
            with model_storage.read_from(resource) as directory:
                vocabulary = json.loads((directory / VOCABULARY_FILE).read_text("utf-8"))
        except (ValueError, FileNotFoundError):
            logger.warning("no stored n-gram vocabulary: messages get no character features")
            vocabulary = None
        return cls(config, execution_context.node_name, model_storage, resource, vocabulary)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self._featurize(training_data.training_examples)
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        self._featurize(messages)
        return messages

    def _featurize(self, messages: List[Message]) -> None:
        if self._vectorizer is None:
            return
        with_text = [m for m in messages if m.get(TEXT)]
        if not with_text:
            return
        counts = scipy.sparse.csr_matrix(self._vectorizer.transform([self._document(m) for m in with_text]))
        for row, message in enumerate(with_text):
            self.add_features_to_message(None, counts[row].tocoo(), TEXT, message)
