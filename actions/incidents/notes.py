"""Notes responders add to an incident; the reporter is told in the reporter's language."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from actions.db.models import Incident, IncidentEvent, User
from actions.domain import EventKind
from actions.i18n import Translator
from actions.incidents.lifecycle import reporter_notice
from actions.incidents.repository import add_event
from actions.notify import add_notice


async def add_note(
    session: AsyncSession,
    incident: Incident,
    text: str,
    *,
    actor: str,
    now: datetime,
    translator: Translator,
) -> tuple[IncidentEvent, User]:
    """Add a `note` event and a notice for the reporter (flushed, not committed).

    The notice names the report and its current status, then the note, in the reporter's language;
    deliver it after the commit with `Notifier.deliver_notices(reporter)`.
    """
    event = await add_event(session, incident, EventKind.NOTE, actor=actor, now=now, text=text)
    reporter = await session.get(User, incident.user_id)
    assert reporter is not None  # a foreign key guarantees it
    notice = reporter_notice(translator, reporter, incident, text)
    add_notice(session, reporter, notice, now, incident=incident, actor=actor)
    return event, reporter
