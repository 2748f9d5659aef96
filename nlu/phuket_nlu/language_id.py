"""Rasa component that adds the message's language (ISO 639-1) and a confidence to the parse result.

Script decides first (Thai, Hangul, kana, Han, Cyrillic are unambiguous among our languages);
Latin-script text goes to langid.py, whose model ships inside its package (no download), limited
to the Latin-script languages we support. Short Latin messages ("ok", "help!") get a low confidence
so that the dialogue prefers the user's stored language.
"""

from __future__ import annotations

import logging
import re
from typing import Any, Dict, List, Optional, Text, Tuple

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

logger = logging.getLogger(__name__)

LANGUAGE = "language"
LATIN_LANGUAGES = ("en", "de", "fr")

_SCRIPTS: List[Tuple[str, "re.Pattern[str]"]] = [
    ("th", re.compile(r"[\u0e00-\u0e7f]")),
    ("ko", re.compile(r"[\uac00-\ud7af\u1100-\u11ff\u3130-\u318f]")),
    ("ja", re.compile(r"[\u3040-\u30ff]")),
    ("zh", re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")),
    ("ru", re.compile(r"[\u0400-\u04ff]")),
]
_LATIN_LETTER = re.compile(r"[A-Za-z\u00c0-\u024f]")
# German and French letters settle the question on their own.
_GERMAN = re.compile(r"[äöüßÄÖÜ]")
_FRENCH = re.compile(r"[àâçéèêëîïôûùœÀÂÇÉÈÊËÎÏÔÛÙŒ]")


def script_language(text: str) -> Optional[Tuple[str, float]]:
    counts = [(code, len(pattern.findall(text))) for code, pattern in _SCRIPTS]
    # Japanese uses Han characters too: any kana makes it Japanese.
    japanese = dict(counts)["ja"]
    if japanese:
        return "ja", 0.99
    code, count = max(counts, key=lambda item: item[1])
    if count:
        latin = len(_LATIN_LETTER.findall(text))
        # A Latin place name in a Thai sentence does not make it English.
        return code, 0.99 if count >= latin else 0.8
    return None


class LatinLanguageIdentifier:
    def __init__(self) -> None:
        from langid.langid import LanguageIdentifier, model

        self._identifier = LanguageIdentifier.from_modelstring(model, norm_probs=True)
        self._identifier.set_languages(list(LATIN_LANGUAGES))

    def identify(self, text: str) -> Tuple[str, float]:
        letters = len(_LATIN_LETTER.findall(text))
        if _GERMAN.search(text):
            return "de", 0.9
        if _FRENCH.search(text) and letters >= 4:
            return "fr", 0.85
        code, probability = self._identifier.classify(text)
        # Very short texts carry little evidence whatever the model says.
        evidence = min(1.0, letters / 12)
        return str(code), float(probability) * evidence


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class LanguageIdentifier(GraphComponent):
    """Sets `language: {"code": "th", "confidence": 0.99}` on every message."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {}

    def __init__(self) -> None:
        self._latin: Optional[LatinLanguageIdentifier] = None

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LanguageIdentifier:
        return cls()

    def identify(self, text: str) -> Tuple[Optional[str], float]:
        if found := script_language(text):
            return found
        if not _LATIN_LETTER.search(text):
            return None, 0.0
        if self._latin is None:
            self._latin = LatinLanguageIdentifier()
        return self._latin.identify(text)

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            code, confidence = self.identify(message.get(TEXT) or "")
            message.set(LANGUAGE, {"code": code, "confidence": round(confidence, 3)}, add_to_output=True)
        return messages

    def process_training_data(self, training_data: Any) -> Any:
        return training_data
