"""The text a subscriber receives for an alert, in their language."""

from __future__ import annotations

from actions.db.models import Alert
from actions.handlers.warnings import HAZARDS, SEVERITY_ICONS, text_in
from actions.i18n import Translator


def alert_message(alert: Alert, language: str, translator: Translator) -> str:
    """Icon and hazard, headline, instruction and agency, in `language`.

    The headline and the instruction fall back to English (then to any language the alert has)
    when the agency did not write them in `language`.
    """
    hazard = alert.hazard if alert.hazard in HAZARDS else "other"
    lines = [
        f"{SEVERITY_ICONS.get(alert.severity, '⚪')} {translator(language, f'hazard.{hazard}')}: "
        f"{text_in(alert.headline, language)}",
    ]
    instruction = text_in(alert.instruction, language)
    if instruction:
        lines += ["", instruction]
    lines += ["", f"— {alert.agency}"]
    return "\n".join(lines)
