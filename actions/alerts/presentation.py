"""How an alert is shown to people: severity icon, catalog keys for its labels, texts by language."""

from __future__ import annotations

from actions.alerts.vocabulary import Hazard, Severity
from actions.db.models import Alert
from actions.domain import DEFAULT_LANGUAGE

SEVERITY_ICONS: dict[str, str] = {
    Severity.EXTREME: "🔴",
    Severity.SEVERE: "🟠",
    Severity.MODERATE: "🟡",
    Severity.MINOR: "🔵",
}
UNKNOWN_SEVERITY_ICON = "⚪"
_HAZARDS = frozenset(Hazard)
_SEVERITIES = frozenset(Severity)


def severity_icon(alert: Alert) -> str:
    return SEVERITY_ICONS.get(alert.severity, UNKNOWN_SEVERITY_ICON)


def hazard_key(alert: Alert) -> str:
    """The catalog key of the alert's hazard label (`hazard.other` for anything we do not name)."""
    return f"hazard.{alert.hazard if alert.hazard in _HAZARDS else Hazard.OTHER.value}"


def severity_key(alert: Alert) -> str:
    severity = alert.severity if alert.severity in _SEVERITIES else Severity.UNKNOWN.value
    return f"severity.{severity.lower()}"


def text_in(texts: dict[str, str], language: str) -> str:
    """The text in `language`, else English, else any language the agency wrote it in."""
    return texts.get(language) or texts.get(DEFAULT_LANGUAGE) or next(iter(texts.values()), "")
