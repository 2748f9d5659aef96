"""The text a subscriber receives for an alert, in their language."""

from __future__ import annotations

from actions.alerts.presentation import hazard_key, severity_icon, text_in
from actions.db.models import Alert
from actions.i18n import Translator


def alert_message(alert: Alert, language: str, translator: Translator) -> str:
    """Icon and hazard, headline, instruction and agency, in `language`.

    The headline and the instruction fall back to English (then to any language the alert has)
    when the agency did not write them in `language`.
    """
    lines = [
        f"{severity_icon(alert)} {translator(language, hazard_key(alert))}: "
        f"{text_in(alert.headline, language)}",
    ]
    instruction = text_in(alert.instruction, language)
    if instruction:
        lines += ["", instruction]
    lines += ["", f"— {alert.agency}"]
    return "\n".join(lines)
