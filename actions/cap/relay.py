"""Act on a CAP message exactly as on the JSON API: an Alert creates, an Update replaces the
referenced alert's content, a Cancel cancels the referenced alerts (deliveries and audit included).

A message is acted on once: it is recorded as received in the same transaction
(:mod:`actions.cap.received`), and a message received before is refused.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from actions.alerts.references import Reference, cap_time
from actions.alerts.service import (
    AlertResult,
    AlertStateError,
    cancel_alert,
    create_alert,
    find_referenced,
    update_alert,
)
from actions.alerts.vocabulary import AlertStatus, MsgType
from actions.cap.reader import CapMessage
from actions.cap.received import Outcome, already_received, record_received
from actions.cap.schema import CapError
from actions.db.models import Alert
from actions.places.gazetteer import Gazetteer

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RelayOutcome:
    msg_type: MsgType
    # One result for an Alert or an Update; one per cancelled alert for a Cancel.
    results: list[AlertResult]
    notes: list[str] = field(default_factory=list)


async def _referenced(session: AsyncSession, references: list[Reference], notes: list[str]) -> list[Alert]:
    alerts: dict[int, Alert] = {}
    unknown = []
    for reference in references:
        alert = await find_referenced(session, reference)
        if alert is None:
            unknown.append(str(reference))
        else:
            alerts.setdefault(alert.id, alert)
    if not alerts:
        raise CapError([f"<references> names no alert we know: {' '.join(unknown)}"])
    if unknown:
        notes.append(f"referenced messages we never received: {' '.join(unknown)}")
    return list(alerts.values())


async def relay_cap(
    session: AsyncSession,
    message: CapMessage,
    *,
    actor: str,
    now: datetime,
    gazetteer: Gazetteer,
    feed_id: int | None = None,
) -> RelayOutcome:
    """Create, update or cancel alerts for `message` in the caller's transaction (not committed),
    and record the message as received (from the feed `feed_id`, or the API).

    Raises:
        CapError: the references name no known alert, or an Update names several.
        AlertStateError: the message was received before; as the alert service raises it.
        AlertValidationError: as the alert service raises it.
    """
    identity = message.identity
    if await already_received(session, identity.sender, identity.identifier or ""):
        raise AlertStateError(
            f"CAP message {identity.identifier} from {identity.sender} was already received"
        )
    outcome = await _act(session, message, actor=actor, now=now, gazetteer=gazetteer)
    record_received(
        session,
        sender=identity.sender,
        identifier=identity.identifier or "",
        sent=cap_time(identity.sent or now),
        msg_type=message.msg_type.value,
        outcome=Outcome.RELAYED if outcome.results else Outcome.SKIPPED,
        now=now,
        note="; ".join(outcome.notes) or None,
        feed_id=feed_id,
        alert_id=outcome.results[0].alert.id if outcome.results else None,
    )
    return outcome


async def _act(
    session: AsyncSession, message: CapMessage, *, actor: str, now: datetime, gazetteer: Gazetteer
) -> RelayOutcome:
    notes = list(message.notes)
    if message.msg_type == MsgType.ALERT:
        assert message.draft is not None
        result = await create_alert(
            session,
            message.draft,
            actor=actor,
            agency=message.agency,
            now=now,
            identity=message.identity,
            gazetteer=gazetteer,
        )
        return RelayOutcome(message.msg_type, [result], notes)
    targets = await _referenced(session, message.references, notes)
    if message.msg_type == MsgType.UPDATE:
        assert message.draft is not None
        if len(targets) > 1:
            ids = ", ".join(str(alert.id) for alert in targets)
            raise CapError([f"an Update must replace one alert; its <references> name alerts {ids}"])
        result = await update_alert(
            session,
            targets[0],
            message.draft,
            actor=actor,
            now=now,
            identity=message.identity,
            gazetteer=gazetteer,
        )
        return RelayOutcome(message.msg_type, [result], notes)
    results = []
    for alert in targets:
        if alert.status == AlertStatus.CANCELLED:
            notes.append(f"alert {alert.id} was already cancelled")
            continue
        results.append(
            await cancel_alert(
                session, alert, actor=actor, now=now, reason=f"CAP Cancel {message.identity.identifier}"
            )
        )
    return RelayOutcome(message.msg_type, results, notes)
