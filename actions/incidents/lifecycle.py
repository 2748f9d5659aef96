"""Incident status changes: allowed transitions, an event with who and when, the reporter told."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from actions.db.models import Incident, User
from actions.domain import ALLOWED_TRANSITIONS, EventKind, IncidentStatus
from actions.i18n import Translator
from actions.incidents.repository import add_event
from actions.notify import add_notice


class InvalidTransition(ValueError):
    def __init__(self, current: str, wanted: str) -> None:
        super().__init__(f"an incident that is {current} cannot become {wanted}")
        self.current = current
        self.wanted = wanted


@dataclass(frozen=True, slots=True)
class StatusChange:
    incident: Incident
    reporter: User
    previous: IncidentStatus
    status: IncidentStatus


async def change_status(
    session: AsyncSession,
    incident: Incident,
    status: IncidentStatus,
    *,
    actor: str,
    now: datetime,
    translator: Translator,
    note: str | None = None,
    notify_reporter: bool = True,
) -> StatusChange:
    """Move an incident to `status` (flushed, not committed).

    A responder's change leaves a notice for the reporter, in the reporter's language, in the same
    transaction; deliver it after the commit with `Notifier.deliver_notices`.
    """
    previous = IncidentStatus(incident.status)
    if status not in ALLOWED_TRANSITIONS[previous]:
        raise InvalidTransition(previous.value, status.value)
    incident.status = status.value
    await add_event(
        session,
        incident,
        EventKind.STATUS_CHANGED,
        actor=actor,
        now=now,
        text=note,
        data={"from": previous.value, "to": status.value},
    )
    reporter = await session.get(User, incident.user_id)
    assert reporter is not None  # a foreign key guarantees it
    if notify_reporter:
        text = reporter_notice(translator, reporter, incident, note)
        add_notice(session, reporter, text, now, incident=incident, actor=actor)
    return StatusChange(incident, reporter, previous, status)


def reporter_notice(translator: Translator, reporter: User, incident: Incident, note: str | None) -> str:
    """The notice "Update on your report PKT-7K3Q: <status>" (and the note), in the reporter's language."""
    language = reporter.language or incident.language
    text = translator(
        language,
        "status.changed_notice",
        reference=incident.reference,
        status=translator(language, f"status.name.{incident.status}"),
    )
    if note:
        text += "\n" + translator(language, "event.note", text=note)
    return text
