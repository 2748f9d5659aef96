"""Every reply text exists in every supported language, with the same placeholders."""

from __future__ import annotations

import pytest

from actions.domain import SUPPORTED_LANGUAGES
from actions.i18n import LOCALES_DIR, load_catalog, placeholders

ENGLISH = load_catalog("en")


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_catalog_is_complete(language):
    catalog = load_catalog(language)
    assert sorted(set(ENGLISH) - set(catalog)) == [], f"{language} lacks these texts"
    assert sorted(set(catalog) - set(ENGLISH)) == [], f"{language} has texts English lacks"


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_placeholders_match_english(language):
    catalog = load_catalog(language)
    wrong = {
        key: (placeholders(ENGLISH[key]), placeholders(text))
        for key, text in catalog.items()
        if key in ENGLISH and placeholders(ENGLISH[key]) != placeholders(text)
    }
    assert wrong == {}


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_emergency_numbers_are_exact(language):
    """The numbers people dial must survive translation untouched."""
    catalog = load_catalog(language)
    for number in ("191", "1669", "199", "1155", "1784"):
        assert number in catalog[f"numbers.{number}"]
    for number in ("191", "1669", "1155"):
        assert number in catalog["nlu_unavailable"]
    assert "1784" in catalog["places.none.shelter"]


def test_every_language_has_a_catalog_file():
    found = {path.parent.parent.name for path in LOCALES_DIR.glob("*/LC_MESSAGES/messages.po")}
    assert set(SUPPORTED_LANGUAGES) <= found
