"""The CAP messages received and what became of them, so that none is acted on twice: a feed
polled again, two feeds carrying the same message, a restart, the same message also POSTed.

The table's unique (sender, identifier) is the guarantee: of two relays acting on one message at
the same time, the second one's transaction fails and nothing of it is kept.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from actions.alerts.references import Reference
from actions.alerts.service import find_referenced
from actions.db.models import ReceivedCapMessage


class Outcome(StrEnum):
    RELAYED = "relayed"
    # Not for Phuket's public now: a Test, an area elsewhere, expired, nothing left to cancel.
    SKIPPED = "skipped"
    # It could not be acted on: invalid, or an Update of an alert we never had.
    REFUSED = "refused"


async def already_received(session: AsyncSession, sender: str, identifier: str) -> bool:
    """Whether this message was received before (or an alert of ours already is, or replaced, it)."""
    seen = await session.scalar(
        select(ReceivedCapMessage.id).where(
            ReceivedCapMessage.sender == sender, ReceivedCapMessage.identifier == identifier
        )
    )
    if seen is not None:
        return True
    # Messages acted on before this table existed: an alert names them as its current version or
    # among those it replaced.
    return await find_referenced(session, Reference(sender, identifier, "")) is not None


def record_received(
    session: AsyncSession,
    *,
    sender: str,
    identifier: str,
    sent: str,
    msg_type: str,
    outcome: Outcome,
    now: datetime,
    note: str | None = None,
    feed_id: int | None = None,
    alert_id: int | None = None,
) -> None:
    """Add the message's row to the caller's transaction (a duplicate fails at commit)."""
    session.add(
        ReceivedCapMessage(
            sender=sender,
            identifier=identifier,
            sent=sent[:64],
            msg_type=msg_type[:16],
            outcome=outcome.value,
            note=note,
            feed_id=feed_id,
            alert_id=alert_id,
            received_at=now,
        )
    )
