"""The text a subscriber receives for an alert, in their language."""

from __future__ import annotations

from actions.alerts.presentation import fallback_wording, hazard_key, severity_icon
from actions.db.models import Alert
from actions.i18n import Translator


def alert_message(alert: Alert, language: str, translator: Translator) -> str:
    """Icon and hazard, headline, instruction and agency, in `language`.

    When the agency did not write the alert in `language`, the subscriber gets hazard, severity,
    urgency and the standard instruction for the hazard in their language, and the agency's
    headline marked as the original.
    """
    icon = severity_icon(alert)
    fallback = fallback_wording(alert, language, translator)
    if fallback is not None:
        lines = [f"{icon} {fallback.summary}", "", fallback.instruction, "", fallback.original]
    else:
        lines = [f"{icon} {translator(language, hazard_key(alert))}: {alert.headline[language]}"]
        if instruction := alert.instruction.get(language):
            lines += ["", instruction]
    lines += ["", f"— {alert.agency}"]
    return "\n".join(lines)
