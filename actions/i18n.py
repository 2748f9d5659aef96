"""Reply texts from the gettext catalogs in ``data/locales/<lang>/LC_MESSAGES/messages.po``.

Message ids are symbolic (``places.header.hospital``); placeholders use ``{name}`` syntax.
"""

from __future__ import annotations

import logging
import string
from functools import lru_cache
from pathlib import Path
from typing import Any

from babel.messages.pofile import read_po

from actions.domain import DEFAULT_LANGUAGE, SUPPORTED_LANGUAGES

logger = logging.getLogger(__name__)

LOCALES_DIR = Path(__file__).resolve().parents[1] / "data" / "locales"


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def load_catalog(language: str, locales_dir: Path = LOCALES_DIR, domain: str = "messages") -> dict[str, str]:
    """The texts of one language's catalog `<domain>.po` (the bot's replies are `messages`)."""
    path = locales_dir / language / "LC_MESSAGES" / f"{domain}.po"
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=None)
    return {
        str(message.id): str(message.string)
        for message in catalog
        if message.id and isinstance(message.string, str) and message.string
    }


class Translator:
    """Looks up and formats reply texts; a missing text falls back to English, then to its id."""

    def __init__(self, catalogs: dict[str, dict[str, str]]) -> None:
        self._catalogs = catalogs
        self.languages = tuple(lang for lang in SUPPORTED_LANGUAGES if lang in catalogs)

    def supports(self, language: str | None) -> bool:
        return language is not None and language in self._catalogs

    def __call__(self, language: str, key: str, /, **values: Any) -> str:
        template = self._catalogs.get(language, {}).get(key)
        if template is None:
            logger.warning("no %r text for %s; using English", key, language)
            template = self._catalogs.get(DEFAULT_LANGUAGE, {}).get(key, key)
        return template.format(**values) if values else template

    def keys(self, language: str) -> set[str]:
        return set(self._catalogs.get(language, {}))


@lru_cache(maxsize=1)
def default_translator() -> Translator:
    catalogs = {
        language: load_catalog(language)
        for language in SUPPORTED_LANGUAGES
        if (LOCALES_DIR / language / "LC_MESSAGES" / "messages.po").exists()
    }
    if DEFAULT_LANGUAGE not in catalogs:
        raise RuntimeError(f"the {DEFAULT_LANGUAGE} catalog is missing under {LOCALES_DIR}")
    return Translator(catalogs)
