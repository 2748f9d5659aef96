"""One CAP message from a feed: relayed to Phuket's subscribers, or skipped, once and only once.

- A message received before (from any feed, a restart ago, or POSTed to the API) is a duplicate.
- Only ``Actual`` + ``Public`` messages are relayed; expired ones are skipped; a message whose areas
  all lie outside Phuket is skipped with a note in the feed's log.
- An Update or a Cancel acts on the alert its ``<references>`` name. An Update of a message never
  relayed here (it was for another province, say) is relayed as a new alert when it concerns Phuket;
  a Cancel of one is skipped. An Update that moves a warning we relayed away from Phuket withdraws
  (cancels) our alert.

Every message's outcome is recorded (:mod:`actions.cap.received`) in the transaction that acts on it.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass, field
from datetime import datetime

from lxml import etree
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from actions.alerts.draft import AlertValidationError
from actions.alerts.references import parse_references
from actions.alerts.service import AlertStateError, cancel_alert, find_referenced
from actions.alerts.vocabulary import AlertStatus, MsgType
from actions.cap.reader import CapMessage, NotRelayed, OutsidePhuket, read_cap
from actions.cap.received import Outcome, already_received, record_received
from actions.cap.relay import relay_cap
from actions.cap.schema import CAP_NS, CapError
from actions.places.gazetteer import Gazetteer

logger = logging.getLogger(__name__)

DUPLICATE = "duplicate"


@dataclass(frozen=True, slots=True)
class FeedMessageResult:
    # "relayed", "skipped", "refused" (Outcome values) or "duplicate".
    outcome: str
    # Why it was skipped or refused, in a few words ("outside Phuket", "expired", ...).
    reason: str = ""
    alert_ids: list[int] = field(default_factory=list)
    # For the feed's log: what an operator should know (areas left out, refusals).
    notes: list[str] = field(default_factory=list)


def _field(root: etree._Element, name: str) -> str:
    return (root.findtext(f"{{{CAP_NS}}}{name}") or "").strip()


@dataclass(frozen=True, slots=True)
class _Received:
    """What identifies a message, read before anything else is (it may not be relayable at all)."""

    sender: str
    identifier: str
    sent: str
    msg_type: str

    @classmethod
    def of(cls, root: etree._Element) -> _Received:
        return cls(
            _field(root, "sender"), _field(root, "identifier"), _field(root, "sent"), _field(root, "msgType")
        )

    def __str__(self) -> str:
        return f"{self.msg_type} {self.identifier} ({self.sender})"

    def record(
        self,
        session: AsyncSession,
        outcome: Outcome,
        *,
        now: datetime,
        note: str | None,
        feed_id: int,
        alert_id: int | None = None,
    ) -> None:
        record_received(
            session,
            sender=self.sender,
            identifier=self.identifier,
            sent=self.sent,
            msg_type=self.msg_type,
            outcome=outcome,
            now=now,
            note=note,
            feed_id=feed_id,
            alert_id=alert_id,
        )


async def _record(
    sessions: async_sessionmaker[AsyncSession],
    received: _Received,
    outcome: Outcome,
    *,
    note: str | None,
    feed_id: int,
    now: datetime,
) -> bool:
    """Remember a message that was not relayed; False when another relay recorded it meanwhile."""
    async with sessions() as session:
        received.record(session, outcome, now=now, note=note, feed_id=feed_id)
        try:
            await session.commit()
        except IntegrityError:
            return False
    return True


async def _references_known(session: AsyncSession, message: CapMessage) -> bool:
    for reference in message.references:
        if await find_referenced(session, reference) is not None:
            return True
    return False


async def _not_relayed(
    sessions: async_sessionmaker[AsyncSession],
    received: _Received,
    outcome: Outcome,
    reason: str,
    *,
    note: str | None,
    feed_id: int,
    now: datetime,
) -> FeedMessageResult:
    if not await _record(sessions, received, outcome, note=note or reason, feed_id=feed_id, now=now):
        return FeedMessageResult(DUPLICATE)
    logger.info("feed %s: %s %s: %s", feed_id, received, outcome.value, note or reason)
    return FeedMessageResult(outcome.value, reason, notes=[f"{received}: {note}"] if note else [])


async def _withdrawn_by_update(
    sessions: async_sessionmaker[AsyncSession],
    received: _Received,
    root: etree._Element,
    problem: str,
    *,
    feed_id: int,
    actor: str,
    now: datetime,
) -> FeedMessageResult | None:
    """Cancel the alerts in force that an Update outside Phuket replaces; None when there are none."""
    try:
        references = parse_references(_field(root, "references"))
    except ValueError:
        return None
    async with sessions() as session:
        targets = {}
        for reference in references:
            alert = await find_referenced(session, reference)
            if alert is not None and alert.status == AlertStatus.ACTIVE:
                targets[alert.id] = alert
        if not targets:
            return None
        reason = f"CAP Update {received.identifier}: the warning no longer covers Phuket"
        for alert in targets.values():
            await cancel_alert(session, alert, actor=actor, now=now, reason=reason)
        withdrawn = f"no longer covers Phuket ({problem}): alert(s) {', '.join(map(str, targets))} withdrawn"
        received.record(
            session, Outcome.RELAYED, now=now, note=withdrawn, feed_id=feed_id, alert_id=next(iter(targets))
        )
        try:
            await session.commit()
        except IntegrityError:
            return FeedMessageResult(DUPLICATE)
    logger.info("feed %s: %s %s", feed_id, received, withdrawn)
    return FeedMessageResult(
        Outcome.RELAYED.value, "withdrawn", list(targets), notes=[f"{received}: {withdrawn}"]
    )


async def relay_feed_message(
    sessions: async_sessionmaker[AsyncSession],
    root: etree._Element,
    *,
    feed_id: int,
    actor: str,
    now: datetime,
    gazetteer: Gazetteer,
) -> FeedMessageResult:
    """Act on one schema-valid CAP `<alert>` from the feed `feed_id`, in its own transaction.

    Raises:
        Exception: only what a database that cannot be reached raises; the message is then
            not recorded, and it is tried again at the next poll.
    """
    received = _Received.of(root)
    async with sessions() as session:
        if await already_received(session, received.sender, received.identifier):
            return FeedMessageResult(DUPLICATE)
    outcome, reason, note = Outcome.SKIPPED, "", None
    try:
        message = read_cap(root, gazetteer)
    except NotRelayed as exc:
        # Tests and exercises are routine in real feeds: counted, not noted.
        return await _not_relayed(
            sessions, received, Outcome.SKIPPED, exc.problems[0], note=None, feed_id=feed_id, now=now
        )
    except OutsidePhuket as exc:
        outcome, reason, note = Outcome.SKIPPED, "outside Phuket", "; ".join(exc.problems)
        if received.msg_type == MsgType.UPDATE and (
            withdrawn := await _withdrawn_by_update(
                sessions, received, root, note, feed_id=feed_id, actor=actor, now=now
            )
        ):
            return withdrawn
    except CapError as exc:
        outcome, reason, note = Outcome.REFUSED, "refused", "; ".join(exc.problems)
    if reason:
        return await _not_relayed(sessions, received, outcome, reason, note=note, feed_id=feed_id, now=now)
    if message.draft is not None and message.draft.expires is not None and message.draft.expires <= now:
        return await _not_relayed(
            sessions, received, Outcome.SKIPPED, "expired", note=None, feed_id=feed_id, now=now
        )
    if message.msg_type != MsgType.ALERT:
        async with sessions() as session:
            known = await _references_known(session, message)
        if not known and message.msg_type == MsgType.CANCEL:
            return await _not_relayed(
                sessions, received, Outcome.SKIPPED, "nothing to cancel", note=None, feed_id=feed_id, now=now
            )
        if not known:
            # An Update of a message we never relayed (it was for elsewhere) that now concerns Phuket.
            message = dataclasses.replace(
                message,
                msg_type=MsgType.ALERT,
                notes=[*message.notes, "an Update of a message never relayed here: issued as a new alert"],
            )
    async with sessions() as session:
        try:
            relayed = await relay_cap(
                session, message, actor=actor, now=now, gazetteer=gazetteer, feed_id=feed_id
            )
            await session.commit()
        except IntegrityError:
            # Another relay acted on the same message at the same moment; its transaction won.
            return FeedMessageResult(DUPLICATE)
        except (AlertStateError, AlertValidationError, CapError) as exc:
            await session.rollback()
            outcome, reason, note = Outcome.REFUSED, "refused", str(exc)
    if reason:
        return await _not_relayed(sessions, received, outcome, reason, note=note, feed_id=feed_id, now=now)
    if not relayed.results:
        return FeedMessageResult(Outcome.SKIPPED.value, "already cancelled")
    alert_ids = [result.alert.id for result in relayed.results]
    logger.info("feed %s: %s relayed (alerts %s)", feed_id, received, alert_ids)
    return FeedMessageResult(
        Outcome.RELAYED.value, alert_ids=alert_ids, notes=[f"{received}: {n}" for n in relayed.notes]
    )
