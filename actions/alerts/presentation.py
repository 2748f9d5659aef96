"""How an alert is shown to people: severity icon, catalog keys for its labels, texts by language.

An alert has its own words in the languages the agency wrote it in. A reader of any other language
gets our words instead (the *fallback*): hazard, severity and urgency in their language, the
standard instruction for the hazard from the catalogs, and the agency's headline in its own
language, marked as the original.
"""

from __future__ import annotations

from dataclasses import dataclass

from babel import Locale, UnknownLocaleError

from actions.alerts.vocabulary import Hazard, Severity, Urgency
from actions.db.models import Alert
from actions.domain import DEFAULT_LANGUAGE, SUPPORTED_LANGUAGES
from actions.i18n import Translator

SEVERITY_ICONS: dict[str, str] = {
    Severity.EXTREME: "🔴",
    Severity.SEVERE: "🟠",
    Severity.MODERATE: "🟡",
    Severity.MINOR: "🔵",
}
UNKNOWN_SEVERITY_ICON = "⚪"
_HAZARDS = frozenset(Hazard)
_SEVERITIES = frozenset(Severity)
_URGENCIES = frozenset(Urgency)


def severity_icon(alert: Alert) -> str:
    return SEVERITY_ICONS.get(alert.severity, UNKNOWN_SEVERITY_ICON)


def _hazard(alert: Alert) -> str:
    return alert.hazard if alert.hazard in _HAZARDS else Hazard.OTHER.value


def hazard_key(alert: Alert) -> str:
    """The catalog key of the alert's hazard label (`hazard.other` for anything we do not name)."""
    return f"hazard.{_hazard(alert)}"


def severity_key(alert: Alert) -> str:
    severity = alert.severity if alert.severity in _SEVERITIES else Severity.UNKNOWN.value
    return f"severity.{severity.lower()}"


def urgency_key(alert: Alert) -> str:
    urgency = alert.urgency if alert.urgency in _URGENCIES else Urgency.UNKNOWN.value
    return f"urgency.{urgency.lower()}"


def standard_instruction_key(alert: Alert) -> str:
    """The catalog key of what everyone should do for the alert's hazard, in every language."""
    return f"standard_instruction.{_hazard(alert)}"


def text_in(texts: dict[str, str], language: str) -> str:
    """The text in `language`, else English, else any language the agency wrote it in."""
    return texts.get(language) or texts.get(DEFAULT_LANGUAGE) or next(iter(texts.values()), "")


def original_language(alert: Alert) -> str:
    """The language whose headline a reader without their own text is shown: English when the
    agency wrote one, else the first supported language it wrote."""
    if DEFAULT_LANGUAGE in alert.headline:
        return DEFAULT_LANGUAGE
    return next((lang for lang in SUPPORTED_LANGUAGES if lang in alert.headline), next(iter(alert.headline)))


def language_name(code: str, in_language: str) -> str:
    """``en`` as a reader of `in_language` calls it (``английский``), from Babel's CLDR data."""
    try:
        return str(Locale.parse(in_language).languages.get(code) or code)
    except (UnknownLocaleError, ValueError):
        return code


@dataclass(frozen=True, slots=True)
class Fallback:
    """An alert in a language the agency did not write it in, in our words."""

    # "Tsunami – extreme, act now"
    summary: str
    # The standard instruction for the hazard.
    instruction: str
    # "Original (English): <the agency's headline>"
    original: str


def fallback_wording(alert: Alert, language: str, translator: Translator) -> Fallback | None:
    """Our wording of the alert in `language`; None when the agency wrote the alert in it."""
    if language in alert.headline:
        return None
    original = original_language(alert)
    return Fallback(
        summary=translator(
            language,
            "alert.summary",
            hazard=translator(language, hazard_key(alert)),
            severity=translator(language, severity_key(alert)),
            urgency=translator(language, urgency_key(alert)),
        ),
        instruction=translator(language, standard_instruction_key(alert)),
        original=translator(
            language,
            "alert.original",
            language=language_name(original, language),
            headline=alert.headline[original],
        ),
    )
