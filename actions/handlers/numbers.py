"""Which numbers to call in Thailand, chosen by what is happening."""

from __future__ import annotations

from actions.context import ActionContext
from actions.domain import IncidentType
from actions.i18n import Translator
from actions.replies import Reply

# 191 police, 1669 medical emergencies (ambulance), 199 fire, 1155 Tourist Police (speaks
# English, Chinese, Russian and more), 1784 Department of Disaster Prevention and Mitigation.
NUMBERS_BY_TYPE: dict[IncidentType, tuple[str, ...]] = {
    IncidentType.MEDICAL: ("1669", "1155"),
    IncidentType.DROWNING: ("1669", "1155", "191"),
    IncidentType.FIRE: ("199", "1669", "1155"),
    IncidentType.CRIME: ("191", "1155"),
    IncidentType.TRAFFIC_ACCIDENT: ("1669", "191", "1155"),
    IncidentType.MISSING_PERSON: ("191", "1155"),
    IncidentType.NATURAL_DISASTER: ("1784", "1669", "1155"),
    IncidentType.UNKNOWN: ("191", "1669", "1155", "199"),
}

ALL_NUMBERS: tuple[str, ...] = ("191", "1669", "199", "1155", "1784")


def numbers_text(ctx: ActionContext, incident_type: IncidentType) -> str:
    return numbers_in(ctx.translator, ctx.language, incident_type)


def numbers_in(translator: Translator, language: str, incident_type: IncidentType) -> str:
    """The numbers to call for `incident_type`, one a line, in `language` (no database needed)."""
    return "\n".join(translator(language, f"numbers.{number}") for number in NUMBERS_BY_TYPE[incident_type])


async def emergency_numbers(ctx: ActionContext) -> list[Reply]:
    lines = "\n".join(ctx.t(f"numbers.{number}") for number in ALL_NUMBERS)
    return [Reply(text=f"{ctx.t('numbers.header')}\n{lines}")]
