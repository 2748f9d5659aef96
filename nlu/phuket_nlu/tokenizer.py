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

from phuket_nlu.places import PlaceNameFinder, by_script, place_names
from phuket_nlu.segmentation import MixedScriptSegmenter, default_segmenter

logger = logging.getLogger(__name__)

DICTIONARY_FILE = "dictionary.json"
# Token data key the CRF entity extractor reads as the part of speech ("pos" features). Words of a
# known place name are tagged as proper nouns, every other word as X: a gazetteer feature.
POS_TAG = "pos"
PLACE_TAG = "PROPN"
OTHER_TAG = "X"


class PhuketToken(Token):
    """Rasa's `Token`, whose fingerprint is computed once for each state of the token.

    Rasa fingerprints every message, with all its tokens, after each step of the pipeline while
    training (for its training cache); recomputing each token's hash every time cost a fifth of
    a training. The value is Rasa's own, recomputed after any `set`.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._fingerprint: Optional[Text] = None

    def set(self, prop: Text, info: Any) -> None:
        super().set(prop, info)
        self._fingerprint = None

    def fingerprint(self) -> Text:
        if self._fingerprint is None:
            self._fingerprint = super().fingerprint()
        return self._fingerprint


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=True)
class PhuketTokenizer(Tokenizer):
    """Segments Thai with pythainlp (newmm), Chinese with jieba and Japanese with Janome, each with
    a dictionary of Phuket place names; other scripts split on whitespace and punctuation.

    Training collects the dictionary (place names from `place_dictionary` paths plus the entity
    values of the training data) and stores it in the model, so serving needs no data files.
    Words of a place name of `place_dictionary` are tagged `PROPN` (see `POS_TAG`).
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
        self._dictionary = dictionary or {"thai": [], "han": [], "japanese": [], "places": []}
        self._segmenter: Optional[MixedScriptSegmenter] = None
        self._places: Optional[PlaceNameFinder] = None

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
        _ = tokenizer.segmenter, tokenizer.places
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

    @property
    def places(self) -> PlaceNameFinder:
        if self._places is None:
            self._places = PlaceNameFinder(self._dictionary.get("places", []))
        return self._places

    def train(self, training_data: TrainingData) -> Resource:
        places = place_names(Path(p) for p in self._config.get("place_dictionary") or [])
        words = places + [str(word) for word in self._config.get("lexicon") or []]
        for example in training_data.training_examples:
            text = example.get(TEXT) or ""
            for entity in example.get(ENTITIES) or []:
                words.append(text[entity["start"] : entity["end"]])
                value = entity.get(ENTITY_ATTRIBUTE_VALUE)
                if isinstance(value, str):
                    words.append(value)
        self._dictionary = {**by_script(words), "places": places}
        self._segmenter = None
        self._places = None
        with self._model_storage.write_to(self._resource) as directory:
            rasa.shared.utils.io.dump_obj_as_json_to_file(directory / DICTIONARY_FILE, self._dictionary)
        logger.info(
            "tokenizer dictionary: %s",
            {script: len(values) for script, values in self._dictionary.items()},
        )
        return self._resource

    def tokenize(self, message: Message, attribute: Text) -> List[Token]:
        text = message.get(attribute)
        tokens: List[Token] = [
            PhuketToken(word.text, word.start, end=word.end) for word in self.segmenter.segment(text)
        ]
        places = self.places.spans(text)
        for token in tokens:
            inside = any(start <= token.start and token.end <= end for start, end in places)
            token.set(POS_TAG, PLACE_TAG if inside else OTHER_TAG)
        return self._apply_token_pattern(tokens)
