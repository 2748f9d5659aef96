"""Issue, update and cancel alerts: each write, its deliveries and its audit row in one transaction.

The functions add to the caller's session and never commit: the caller commits once, so an alert
is never stored without its deliveries (the outbox) and its audit row, nor they without it.
"""

from __future__ import annotations

import logging
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from actions.alerts.draft import AlertDraft
from actions.alerts.references import Reference, cap_time, join_references, parse_references
from actions.alerts.repository import in_force_clause
from actions.alerts.vocabulary import AlertStatus, MsgType
from actions.audit import record_audit
from actions.broadcast.outbox import enqueue_deliveries
from actions.db.models import Alert
from actions.places.gazetteer import Gazetteer, default_gazetteer

logger = logging.getLogger(__name__)


class AlertStateError(Exception):
    """The alert cannot take this change (it is cancelled, or the identifier is taken)."""


@dataclass(frozen=True, slots=True)
class AlertIdentity:
    """Who issued a message and how it is named: CAP's sender, identifier and sent.

    Left empty, the identifier is generated and `sent` is the time of the write.
    """

    sender: str
    identifier: str | None = None
    sent: datetime | None = None
    # For a CAP Update: the message's own <references>, kept as they came.
    references: list[Reference] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class AlertResult:
    alert: Alert
    # Supported languages without a text of their own: their readers get our standard wording.
    fallback_languages: list[str]
    deliveries: int


def new_identifier() -> str:
    return f"phuket-safety-{uuid.uuid4()}"


def sender_of(agency: str) -> str:
    """A CAP sender for an agency: no spaces, commas or markup (``Tourist Police`` → ``tourist-police``)."""
    return re.sub(r"[^a-z0-9._@-]+", "-", agency.lower()).strip("-") or "agency"


def _apply(alert: Alert, draft: AlertDraft, now: datetime) -> None:
    alert.hazard = draft.hazard.value
    alert.severity = draft.severity.value
    alert.urgency = draft.urgency.value
    alert.certainty = draft.certainty.value
    alert.area = draft.area.to_area().to_json()
    alert.headline = dict(draft.headline)
    alert.instruction = dict(draft.instruction)
    alert.description = dict(draft.description)
    alert.effective = draft.effective or now
    alert.expires = draft.expires
    alert.updated_at = now


async def _identifier_taken(session: AsyncSession, identifier: str) -> Alert | None:
    return await session.scalar(select(Alert).where(Alert.identifier == identifier))


async def create_alert(
    session: AsyncSession,
    draft: AlertDraft,
    *,
    actor: str,
    agency: str,
    now: datetime,
    identity: AlertIdentity | None = None,
    gazetteer: Gazetteer | None = None,
) -> AlertResult:
    """Add an alert, its deliveries and an ``alert.create`` audit row (not committed).

    Raises:
        AlertValidationError: unknown zones, expiry in the past.
        AlertStateError: the identifier is already used by another alert.
    """
    gazetteer = gazetteer or default_gazetteer()
    draft.check(gazetteer, now)
    identity = identity or AlertIdentity(sender=sender_of(agency))
    identifier = identity.identifier or new_identifier()
    if existing := await _identifier_taken(session, identifier):
        raise AlertStateError(f"alert {identifier!r} already exists (id {existing.id})")
    alert = Alert(
        identifier=identifier,
        sender=identity.sender,
        agency=agency,
        msg_type=MsgType.ALERT.value,
        status=AlertStatus.ACTIVE.value,
        sent=identity.sent or now,
        references=join_references(identity.references),
        created_at=now,
    )
    _apply(alert, draft, now)
    session.add(alert)
    details = {"hazard": alert.hazard, "severity": alert.severity}
    return await _deliver(
        session, alert, draft, "alert.create", details, actor=actor, now=now, gazetteer=gazetteer
    )


async def update_alert(
    session: AsyncSession,
    alert: Alert,
    draft: AlertDraft,
    *,
    actor: str,
    now: datetime,
    identity: AlertIdentity | None = None,
    gazetteer: Gazetteer | None = None,
) -> AlertResult:
    """Replace an alert's content (a CAP Update), enqueue deliveries for newly covered subscribers.

    The alert takes the new message's identifier (generated when not given) and references the
    message it replaces, so its CAP form is a valid Update. Not committed.

    Raises:
        AlertValidationError: unknown zones, expiry in the past.
        AlertStateError: the alert is cancelled, or the new identifier is taken.
    """
    if alert.status == AlertStatus.CANCELLED:
        raise AlertStateError(f"alert {alert.id} is cancelled; issue a new alert instead")
    gazetteer = gazetteer or default_gazetteer()
    draft.check(gazetteer, now)
    identity = identity or AlertIdentity(sender=alert.sender)
    identifier = identity.identifier or new_identifier()
    if (existing := await _identifier_taken(session, identifier)) and existing.id != alert.id:
        raise AlertStateError(f"alert {identifier!r} already exists (id {existing.id})")
    previous = Reference(alert.sender, alert.identifier, cap_sent(alert))
    references = identity.references or [*parse_references(alert.references), previous]
    alert.identifier = identifier
    alert.sender = identity.sender
    alert.msg_type = MsgType.UPDATE.value
    alert.sent = identity.sent or now
    alert.references = join_references(references)
    _apply(alert, draft, now)
    details = {"replaces": str(previous)}
    return await _deliver(
        session, alert, draft, "alert.update", details, actor=actor, now=now, gazetteer=gazetteer
    )


async def _deliver(
    session: AsyncSession,
    alert: Alert,
    draft: AlertDraft,
    action: str,
    details: dict[str, Any],
    *,
    actor: str,
    now: datetime,
    gazetteer: Gazetteer,
) -> AlertResult:
    """Enqueue the deliveries of an alert just written and audit the write, in its transaction."""
    await session.flush()
    deliveries = await enqueue_deliveries(session, alert, gazetteer=gazetteer, now=now)
    fallback = draft.fallback_languages()
    await record_audit(
        session,
        actor=actor,
        action=action,
        target=f"alert:{alert.id}",
        details={
            "identifier": alert.identifier,
            **details,
            "deliveries": deliveries,
            "fallback_languages": fallback,
        },
        now=now,
    )
    return AlertResult(alert, fallback, deliveries)


async def cancel_alert(
    session: AsyncSession, alert: Alert, *, actor: str, now: datetime, reason: str | None = None
) -> AlertResult:
    """Cancel an alert: it leaves the alerts in force at once; the delivery worker skips its
    deliveries not sent yet.

    Cancels are not broadcast (see the README): subscribers who were warned learn it by asking
    the bot, which then lists the warnings still in force. Not committed.

    Raises:
        AlertStateError: the alert is already cancelled.
    """
    if alert.status == AlertStatus.CANCELLED:
        raise AlertStateError(f"alert {alert.id} is already cancelled")
    alert.status = AlertStatus.CANCELLED.value
    alert.cancelled_at = now
    alert.updated_at = now
    await record_audit(
        session,
        actor=actor,
        action="alert.cancel",
        target=f"alert:{alert.id}",
        details={"identifier": alert.identifier, "reason": reason},
        now=now,
    )
    logger.info("alert %s cancelled by %s", alert.id, actor)
    return AlertResult(alert, [], 0)


def cap_sent(alert: Alert) -> str:
    """The CAP ``sent`` of the alert's current version (rows from before it was stored: created_at)."""
    return cap_time(alert.sent or alert.created_at)


async def get_alert(session: AsyncSession, alert_id: int) -> Alert | None:
    return await session.get(Alert, alert_id)


async def find_referenced(session: AsyncSession, reference: Reference) -> Alert | None:
    """The alert a CAP reference points at: its current message, or one it replaced."""
    statement = select(Alert).where(
        or_(
            (Alert.sender == reference.sender) & (Alert.identifier == reference.identifier),
            Alert.references.contains(f"{reference.sender},{reference.identifier},", autoescape=True),
        )
    )
    for alert in await session.scalars(statement.order_by(Alert.id)):
        if (alert.sender, alert.identifier) == (reference.sender, reference.identifier):
            return alert
        # The LIKE above may match inside a longer sender; the parsed triples decide.
        if any(
            (earlier.sender, earlier.identifier) == (reference.sender, reference.identifier)
            for earlier in parse_references(alert.references)
        ):
            return alert
    return None


def is_in_force(alert: Alert, now: datetime) -> bool:
    """The Python twin of `in_force_clause`, for an alert already loaded."""
    return (
        alert.status == AlertStatus.ACTIVE
        and alert.cancelled_at is None
        and alert.effective <= now
        and (alert.expires is None or alert.expires > now)
    )


async def list_alerts(
    session: AsyncSession,
    now: datetime,
    *,
    in_force_only: bool = True,
    limit: int | None = None,
    offset: int = 0,
) -> tuple[int, list[Alert]]:
    """How many alerts there are and a page of them, newest first: in force, or all ever issued."""
    statement = select(Alert)
    if in_force_only:
        statement = statement.where(in_force_clause(now))
    total = await session.scalar(select(func.count()).select_from(statement.subquery()))
    page = statement.order_by(Alert.effective.desc(), Alert.id.desc()).offset(offset).limit(limit)
    return int(total or 0), list(await session.scalars(page))
