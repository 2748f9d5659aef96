"""Rasa tokenizer for mixed-script tourist messages (Thai, Chinese, Japanese and the rest)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Dict, List, Optional, Text

import rasa.shared.utils.io
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.nlu.constants import ENTITIES, ENTITY_ATTRIBUTE_VALUE, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from phuket_nlu.places import by_script, place_names
from phuket_nlu.segmentation import MixedScriptSegmenter, default_segmenter

logger = logging.getLogger(__name__)

DICTIONARY_FILE = "dictionary.json"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=True)
class PhuketTokenizer(Tokenizer):
    """Segments Thai with pythainlp (newmm), Chinese with jieba and Japanese with Janome, each with
    a dictionary of Phuket place names; other scripts split on whitespace and punctuation.

    Training collects the dictionary (place names from `place_dictionary` paths plus the entity
    values of the training data) and stores it in the model, so serving needs no data files.
    """

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            "intent_tokenization_flag": False,
            "intent_split_symbol": "_",
            "token_pattern": None,
            "prefix_separator_symbol": None,
            # Files or folders of GeoJSON whose feature names and aliases join the dictionary.
            "place_dictionary": ["data/places"],
            # Domain words to keep whole, e.g. Chinese "取消订阅" (unsubscribe) vs "订阅" (subscribe).
            "lexicon": [],
        }

    def __init__(
        self,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        dictionary: Optional[Dict[str, List[str]]] = None,
    ) -> None:
        super().__init__(config)
        self._model_storage = model_storage
        self._resource = resource
        self._dictionary = dictionary or {"thai": [], "han": [], "japanese": []}
        self._segmenter: Optional[MixedScriptSegmenter] = None

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> PhuketTokenizer:
        return cls(config, model_storage, resource)

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> PhuketTokenizer:
        try:
            with model_storage.read_from(resource) as directory:
                dictionary = rasa.shared.utils.io.read_json_file(directory / DICTIONARY_FILE)
        except ValueError:
            logger.warning("no stored dictionary; segmenting with the default word lists only")
            dictionary = None
        tokenizer = cls(config, model_storage, resource, dictionary)
        # Load the dictionaries now, not on the first message: the first user may be in danger.
        _ = tokenizer.segmenter
        return tokenizer

    @property
    def segmenter(self) -> MixedScriptSegmenter:
        if self._segmenter is None:
            self._segmenter = default_segmenter(
                self._dictionary.get("thai", []),
                self._dictionary.get("han", []),
                self._dictionary.get("japanese", []),
            )
        return self._segmenter

    def train(self, training_data: TrainingData) -> Resource:
        words = place_names(Path(p) for p in self._config.get("place_dictionary") or [])
        words += [str(word) for word in self._config.get("lexicon") or []]
        for example in training_data.training_examples:
            text = example.get(TEXT) or ""
            for entity in example.get(ENTITIES) or []:
                words.append(text[entity["start"] : entity["end"]])
                value = entity.get(ENTITY_ATTRIBUTE_VALUE)
                if isinstance(value, str):
                    words.append(value)
        self._dictionary = by_script(words)
        self._segmenter = None
        with self._model_storage.write_to(self._resource) as directory:
            rasa.shared.utils.io.dump_obj_as_json_to_file(directory / DICTIONARY_FILE, self._dictionary)
        logger.info(
            "tokenizer dictionary: %s",
            {script: len(values) for script, values in self._dictionary.items()},
        )
        return self._resource

    def tokenize(self, message: Message, attribute: Text) -> List[Token]:
        text = message.get(attribute)
        tokens = [Token(word.text, word.start, end=word.end) for word in self.segmenter.segment(text)]
        return self._apply_token_pattern(tokens)
