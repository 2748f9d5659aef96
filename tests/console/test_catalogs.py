"""The console speaks Thai and English completely; every phrase exists in all eight languages."""

from __future__ import annotations

import re

import pytest

from actions.console import load_phrasebook, phrase_key
from actions.domain import SUPPORTED_LANGUAGES
from actions.i18n import LOCALES_DIR, load_catalog, placeholders
from bot.console.templating import CONSOLE_DOMAIN, TEMPLATES_DIR

ENGLISH = load_catalog("en", LOCALES_DIR, CONSOLE_DOMAIN)
THAI = load_catalog("th", LOCALES_DIR, CONSOLE_DOMAIN)


def test_thai_and_english_have_the_same_texts_with_the_same_placeholders() -> None:
    assert sorted(set(ENGLISH) ^ set(THAI)) == []
    assert {k: v for k, v in THAI.items() if placeholders(v) != placeholders(ENGLISH[k])} == {}


def test_every_text_the_templates_ask_for_exists() -> None:
    used = set()
    for template in TEMPLATES_DIR.glob("*.html"):
        used |= set(re.findall(r"\bt\('([a-z_.]+[a-z_])'", template.read_text(encoding="utf-8")))
    assert sorted(used - set(ENGLISH)) == []


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_every_phrase_is_translated(language: str) -> None:
    catalog = load_catalog(language)
    missing = [p for p in load_phrasebook() if not catalog.get(phrase_key(p))]
    assert missing == []
    for key in ("console.phrase_to_reporter", "console.free_text_to_reporter", "console.duplicate_notice"):
        assert key in catalog
