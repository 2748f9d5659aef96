"""What responders do to an incident from the console: claim it, change its status, talk to the
reporter, mark it a duplicate, keep notes. Every write is audited in the same transaction.

Nothing here commits: the caller commits, then delivers the reporter's notices
(`Notifier.deliver_notices`) and tells the responders (`Notifier.incident_changed`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from actions.audit import record_audit
from actions.console.access import Permission, actor_of, may, require
from actions.console.phrasebook import default_phrasebook, phrase_key
from actions.db.models import ConsoleUser, Incident, User
from actions.domain import OPEN_STATUSES, EventKind, IncidentStatus, MessageKind
from actions.i18n import Translator
from actions.incidents.lifecycle import StatusChange, change_status
from actions.incidents.repository import add_event
from actions.notify import add_notice

logger = logging.getLogger(__name__)

MAX_MESSAGE_LENGTH = 2000


class IncidentConflict(Exception):
    """The incident cannot take this change now (claimed by someone else, closed, ...)."""


class BadInput(ValueError):
    """What the responder sent cannot be used (empty, too long, no such phrase)."""


async def claimant(session: AsyncSession, incident: Incident) -> ConsoleUser | None:
    if incident.claimed_by_id is None:
        return None
    return await session.get(ConsoleUser, incident.claimed_by_id)


async def _check_may_work(session: AsyncSession, incident: Incident, user: ConsoleUser) -> None:
    """Operators work unclaimed incidents and their own; someone else's must be taken over first."""
    require(user, Permission.WORK_INCIDENTS)
    holder = await claimant(session, incident)
    if holder is not None and holder.id != user.id:
        raise IncidentConflict(f"{holder.username} ({holder.agency}) is working on {incident.reference}")


async def claim(session: AsyncSession, incident: Incident, user: ConsoleUser, *, now: datetime) -> None:
    """Claim an incident; an admin may take over someone else's claim.

    Raises:
        NotAllowed: a viewer, or an operator trying to take over.
        IncidentConflict: someone else holds it (for an operator).
    """
    require(user, Permission.WORK_INCIDENTS)
    holder = await claimant(session, incident)
    if holder is not None and holder.id == user.id:
        return
    if holder is not None:
        if not may(user, Permission.TAKE_OVER):
            raise IncidentConflict(f"{holder.username} ({holder.agency}) is working on {incident.reference}")
        logger.info("%s takes %s over from %s", user.username, incident.reference, holder.username)
    incident.claimed_by_id, incident.claimed_at = user.id, now
    data = {"by": user.username, "agency": user.agency}
    if holder is not None:
        data["taken_over_from"] = holder.username
    await add_event(session, incident, EventKind.CLAIMED, actor=actor_of(user), now=now, data=data)
    action = "incident.take_over" if holder is not None else "incident.claim"
    await _audit(session, user, action, incident, data, now)


async def release(session: AsyncSession, incident: Incident, user: ConsoleUser, *, now: datetime) -> None:
    """Give a claimed incident back to the queue (its holder, or an admin)."""
    holder = await claimant(session, incident)
    if holder is None:
        return
    if holder.id != user.id:
        require(user, Permission.TAKE_OVER)
    else:
        require(user, Permission.WORK_INCIDENTS)
    incident.claimed_by_id, incident.claimed_at = None, None
    data = {"by": holder.username}
    await add_event(session, incident, EventKind.RELEASED, actor=actor_of(user), now=now, data=data)
    await _audit(session, user, "incident.release", incident, data, now)


async def set_status(
    session: AsyncSession,
    incident: Incident,
    user: ConsoleUser,
    status: IncidentStatus,
    *,
    note: str | None,
    translator: Translator,
    now: datetime,
) -> StatusChange:
    """The lifecycle's status change (the reporter is told), from the console.

    Raises:
        NotAllowed, IncidentConflict, InvalidTransition.
    """
    await _check_may_work(session, incident, user)
    change = await change_status(
        session, incident, status, actor=actor_of(user), now=now, translator=translator, note=note or None
    )
    details = {"from": change.previous.value, "to": change.status.value, "note": note or None}
    await _audit(session, user, "incident.status", incident, details, now)
    return change


async def _reporter(session: AsyncSession, incident: Incident) -> User:
    reporter = await session.get(User, incident.user_id)
    assert reporter is not None  # a foreign key guarantees it
    return reporter


def reporter_language(reporter: User, incident: Incident) -> str:
    return reporter.language or incident.language


async def send_phrase(
    session: AsyncSession,
    incident: Incident,
    user: ConsoleUser,
    phrase_id: str,
    *,
    translator: Translator,
    now: datetime,
) -> User:
    """Send a phrasebook message to the reporter, in the reporter's language; returns the reporter.

    Raises:
        BadInput: no such phrase.
        NotAllowed, IncidentConflict.
    """
    if phrase_id not in default_phrasebook():
        raise BadInput(f"no phrase {phrase_id!r} in the phrasebook")
    await _check_may_work(session, incident, user)
    reporter = await _reporter(session, incident)
    language = reporter_language(reporter, incident)
    phrase = translator(language, phrase_key(phrase_id))
    text = translator(language, "console.phrase_to_reporter", reference=incident.reference, text=phrase)
    add_notice(
        session,
        reporter,
        text,
        now,
        incident=incident,
        kind=MessageKind.PHRASE,
        actor=actor_of(user),
        phrase_id=phrase_id,
    )
    details = {"phrase": phrase_id, "language": language}
    await _audit(session, user, "incident.message", incident, details, now)
    return reporter


async def send_free_text(
    session: AsyncSession,
    incident: Incident,
    user: ConsoleUser,
    text: str,
    *,
    translator: Translator,
    now: datetime,
) -> User:
    """Send the responder's own words, untranslated and marked as such; returns the reporter.

    Raises:
        BadInput: empty or too long.
        NotAllowed, IncidentConflict.
    """
    text = text.strip()
    if not text or len(text) > MAX_MESSAGE_LENGTH:
        raise BadInput(f"write 1-{MAX_MESSAGE_LENGTH} characters")
    await _check_may_work(session, incident, user)
    reporter = await _reporter(session, incident)
    language = reporter_language(reporter, incident)
    message = translator(language, "console.free_text_to_reporter", reference=incident.reference, text=text)
    add_notice(
        session, reporter, message, now, incident=incident, kind=MessageKind.FREE_TEXT, actor=actor_of(user)
    )
    await _audit(session, user, "incident.message", incident, {"free_text": text}, now)
    return reporter


async def original_of(session: AsyncSession, incident: Incident) -> Incident:
    """The report a chain of duplicates leads back to."""
    seen = {incident.id}
    while incident.duplicate_of_id is not None and incident.duplicate_of_id not in seen:
        seen.add(incident.duplicate_of_id)
        parent = await session.get(Incident, incident.duplicate_of_id)
        if parent is None:
            break
        incident = parent
    return incident


async def mark_duplicate(
    session: AsyncSession,
    incident: Incident,
    original: Incident,
    user: ConsoleUser,
    *,
    translator: Translator,
    now: datetime,
) -> tuple[StatusChange, Incident]:
    """Close `incident` as the same emergency as `original` (or the report it duplicates) and tell
    its reporter which reference to quote; returns the change and the original.

    Raises:
        IncidentConflict: the same incident, already closed or cancelled, or already a duplicate.
        NotAllowed.
    """
    await _check_may_work(session, incident, user)
    original = await original_of(session, original)
    if original.id == incident.id:
        raise IncidentConflict(f"{incident.reference} cannot be a duplicate of itself")
    if incident.duplicate_of_id is not None:
        raise IncidentConflict(f"{incident.reference} is already marked as a duplicate")
    if IncidentStatus(incident.status) in {IncidentStatus.CLOSED, IncidentStatus.CANCELLED}:
        raise IncidentConflict(f"{incident.reference} is {incident.status}")
    incident.duplicate_of_id = original.id
    actor = actor_of(user)
    await add_event(
        session, incident, EventKind.DUPLICATE, actor=actor, now=now, data={"of": original.reference}
    )
    change = await change_status(
        session,
        incident,
        IncidentStatus.CLOSED,
        actor=actor,
        now=now,
        translator=translator,
        note=None,
        notify_reporter=False,
    )
    reporter = change.reporter
    text = translator(
        reporter_language(reporter, incident),
        "console.duplicate_notice",
        reference=incident.reference,
        original=original.reference,
    )
    add_notice(session, reporter, text, now, incident=incident, actor=actor)
    await _audit(session, user, "incident.duplicate", incident, {"of": original.reference}, now)
    return change, original


async def duplicates_of(session: AsyncSession, incident: Incident) -> list[Incident]:
    statement = select(Incident).where(Incident.duplicate_of_id == incident.id).order_by(Incident.id)
    return list(await session.scalars(statement))


async def add_internal_note(
    session: AsyncSession, incident: Incident, user: ConsoleUser, text: str, *, now: datetime
) -> None:
    """A note for responders only (the reporter never sees it).

    Raises:
        BadInput: empty or too long.
        NotAllowed.
    """
    require(user, Permission.WORK_INCIDENTS)
    text = text.strip()
    if not text or len(text) > MAX_MESSAGE_LENGTH:
        raise BadInput(f"write 1-{MAX_MESSAGE_LENGTH} characters")
    await add_event(session, incident, EventKind.INTERNAL_NOTE, actor=actor_of(user), now=now, text=text)
    await _audit(session, user, "incident.internal_note", incident, {"text": text}, now)


def is_open(incident: Incident) -> bool:
    return IncidentStatus(incident.status) in OPEN_STATUSES


async def _audit(
    session: AsyncSession,
    user: ConsoleUser,
    action: str,
    incident: Incident,
    details: Mapping[str, object],
    now: datetime,
) -> None:
    await record_audit(
        session,
        actor=actor_of(user),
        action=action,
        target=incident.reference,
        details=dict(details),
        now=now,
    )
