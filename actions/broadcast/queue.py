"""Claiming due deliveries for a worker and recording what became of them.

A claim is one atomic `UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED) RETURNING …`: on
PostgreSQL several workers take disjoint rows without waiting for each other; on SQLite (which
ignores FOR UPDATE) the statement runs under the database's single writer lock. A claimed row is
`sending` with the worker's id and the claim time, which a live worker renews (`extend_claims`); a
worker that dies leaves its rows `sending`, and they are claimed again once the claim is older than
the claim TTL.

LINE rows are claimed in batches (one multicast each) keyed by a `batch_key` that is stored with
the rows when the batch is first claimed and reused by every later attempt, so that the retry key
sent with the batch stays the same and LINE accepts the batch once. A keyed batch is always claimed
whole, never split or merged.

Outcomes are recorded only while the worker still holds the claim (`claimed_by` is its id and the
row is `sending`): a worker whose claim expired and was taken over cannot overwrite the new owner.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from actions.broadcast.message import alert_message
from actions.broadcast.outbox import UNREACHABLE
from actions.db.models import Alert, Delivery, User
from actions.domain import Channel, DeliveryStatus
from actions.i18n import Translator

logger = logging.getLogger(__name__)

ALERT_CANCELLED = "alert cancelled before delivery"
ALERT_EXPIRED = "alert expired before delivery"


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One claimed delivery, ready to send: `to` is the platform's user or chat id."""

    delivery_id: int
    alert_id: int
    user_id: int
    to: str
    language: str
    # Attempts made so far, this one included.
    attempts: int


@dataclass(slots=True)
class Claim:
    """What a worker took: deliveries of one channel and their texts by (alert, language).

    For LINE, every item shares one alert, one language and the `batch_key`.
    """

    channel: str
    items: list[Outgoing]
    texts: dict[tuple[int, str], str]
    batch_key: str | None = None
    # Rows the claim settled without sending (alert no longer in force, user unreachable).
    skipped: int = 0

    def text(self, item: Outgoing) -> str:
        return self.texts[(item.alert_id, item.language)]


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one claimed delivery.

    `status` is SENT, FAILED or SKIPPED (final), or PENDING to try again at `retry_at`.
    """

    delivery_id: int
    status: DeliveryStatus
    error: str | None = None
    retry_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ClaimScope:
    """Who claims and which rows are due: pending ones whose time has come, stale `sending` ones."""

    worker: str
    now: datetime
    stale_before: datetime
    translator: Translator = field(repr=False)

    def claimable(self) -> ColumnElement[bool]:
        return and_(
            # Lets the planners use the (channel, status, …) index instead of scanning sent rows.
            Delivery.status.in_([DeliveryStatus.PENDING, DeliveryStatus.SENDING]),
            or_(
                and_(Delivery.status == DeliveryStatus.PENDING, Delivery.next_attempt_at <= self.now),
                and_(Delivery.status == DeliveryStatus.SENDING, Delivery.claimed_at < self.stale_before),
            ),
        )

    def claimed_values(self) -> dict[str, Any]:
        return {
            "status": DeliveryStatus.SENDING,
            "claimed_by": self.worker,
            "claimed_at": self.now,
            "attempts": Delivery.attempts + 1,
        }


_RETURNED = (
    Delivery.id,
    Delivery.alert_id,
    Delivery.user_id,
    Delivery.language,
    Delivery.attempts,
    Delivery.batch_key,
)


async def _claim_rows(session: AsyncSession, where: ColumnElement[bool], values: dict[str, Any]) -> list[Any]:
    statement = (
        update(Delivery)
        .where(where)
        .values(**values)
        .returning(*_RETURNED)
        .execution_options(synchronize_session=False)
    )
    return list(await session.execute(statement))


def _locked_ids(where: ColumnElement[bool], limit: int) -> Any:
    """Up to `limit` ids, locked for us and skipped by other claimers (PostgreSQL)."""
    return select(Delivery.id).where(where).limit(limit).with_for_update(skip_locked=True)


async def has_due(session: AsyncSession, channel: str, scope: ClaimScope) -> bool:
    """Whether any delivery of the channel could be claimed now (a read, no lock taken)."""
    statement = select(exists().where(and_(Delivery.channel == channel, scope.claimable())))
    return bool(await session.scalar(statement))


async def claim_deliveries(
    session: AsyncSession, channel: str, scope: ClaimScope, *, limit: int
) -> Claim | None:
    """Claim up to `limit` due deliveries of a channel sent one by one (Telegram)."""
    where = and_(Delivery.channel == channel, scope.claimable())
    rows = await _claim_rows(session, Delivery.id.in_(_locked_ids(where, limit)), scope.claimed_values())
    if not rows:
        return None
    return await _prepare(session, channel, rows, scope, batch_key=None, keep_batch=False)


async def claim_line_batch(session: AsyncSession, scope: ClaimScope, *, size: int) -> Claim | None:
    """Claim one LINE multicast batch: a keyed batch due again whole, else up to `size` new rows.

    New rows share an alert and a language; they get a fresh `batch_key` in this transaction, so
    the key is stored before the batch is ever sent.
    """
    line = Delivery.channel == Channel.LINE
    # Two look-ups rather than one with OR: each is a range of the (channel, status, batch_key) index.
    due_again = and_(Delivery.status == DeliveryStatus.PENDING, Delivery.next_attempt_at <= scope.now)
    abandoned = and_(Delivery.status == DeliveryStatus.SENDING, Delivery.claimed_at < scope.stale_before)
    for state in (due_again, abandoned):
        keyed = await session.scalar(
            select(Delivery.batch_key).where(line, Delivery.batch_key.is_not(None), state).limit(1)
        )
        if keyed is None:
            continue
        rows = await _claim_rows(
            session, and_(line, Delivery.batch_key == keyed, state), scope.claimed_values()
        )
        if rows:
            return await _prepare(session, Channel.LINE, rows, scope, batch_key=keyed, keep_batch=True)
        # Another worker took it a moment ago.
    fresh = and_(
        line,
        Delivery.status == DeliveryStatus.PENDING,
        Delivery.batch_key.is_(None),
        Delivery.next_attempt_at <= scope.now,
    )
    group = (
        await session.execute(select(Delivery.alert_id, Delivery.language).where(fresh).limit(1))
    ).first()
    if group is None:
        return None
    alert_id, language = group
    where = and_(fresh, Delivery.alert_id == alert_id, Delivery.language == language)
    key = str(uuid.uuid4())
    rows = await _claim_rows(
        session,
        Delivery.id.in_(_locked_ids(where, size)),
        {**scope.claimed_values(), "batch_key": key},
    )
    if not rows:
        return None
    return await _prepare(session, Channel.LINE, rows, scope, batch_key=key, keep_batch=False)


async def _prepare(
    session: AsyncSession,
    channel: str,
    rows: Sequence[Any],
    scope: ClaimScope,
    *,
    batch_key: str | None,
    keep_batch: bool,
) -> Claim:
    """Look up recipients and texts; settle rows that must not be sent (in the claim's transaction).

    A batch claimed again (`keep_batch`) is sent exactly as before, whoever unfollowed since: its
    retry key stands for that exact request.
    """
    user_ids = {row.user_id for row in rows}
    users = {
        user_id: (to, reachable)
        for user_id, to, reachable in await session.execute(
            select(User.id, User.channel_user_id, User.reachable).where(User.id.in_(user_ids))
        )
    }
    alerts = {
        alert.id: alert
        for alert in await session.scalars(select(Alert).where(Alert.id.in_({row.alert_id for row in rows})))
    }
    claim = Claim(channel, [], {}, batch_key)
    settled: list[Outcome] = []
    for row in rows:
        alert = alerts[row.alert_id]
        to, reachable = users[row.user_id]
        reason = None
        if alert.cancelled_at is not None:
            reason = ALERT_CANCELLED
        elif alert.expires is not None and alert.expires <= scope.now:
            reason = ALERT_EXPIRED
        elif reachable is False and not keep_batch:
            reason = UNREACHABLE
        if reason is not None:
            settled.append(Outcome(row.id, DeliveryStatus.SKIPPED, reason))
            continue
        claim.items.append(Outgoing(row.id, row.alert_id, row.user_id, to, row.language, row.attempts))
        text_key = (row.alert_id, row.language)
        if text_key not in claim.texts:
            claim.texts[text_key] = alert_message(alert, row.language, scope.translator)
    if settled:
        # Out of the batch: a later attempt of the batch sends exactly the remaining rows.
        await record_outcomes(session, settled, worker=scope.worker, now=scope.now, leave_batch=True)
        claim.skipped = len(settled)
    return claim


def _held_by(worker: str, ids: Iterable[int]) -> ColumnElement[bool]:
    return and_(
        Delivery.id.in_(list(ids)),
        Delivery.claimed_by == worker,
        Delivery.status == DeliveryStatus.SENDING,
    )


async def record_outcomes(
    session: AsyncSession,
    outcomes: Sequence[Outcome],
    *,
    worker: str,
    now: datetime,
    leave_batch: bool = False,
) -> int:
    """Write outcomes of rows the worker still holds; returns how many rows were updated.

    `leave_batch` also clears the rows' `batch_key` (a row settled before its batch was sent).
    """
    updated = 0
    sent = [outcome.delivery_id for outcome in outcomes if outcome.status == DeliveryStatus.SENT]
    if sent:
        result = await session.execute(
            update(Delivery)
            .where(_held_by(worker, sent))
            .values(status=DeliveryStatus.SENT, sent_at=now, last_error=None)
            .execution_options(synchronize_session=False)
        )
        updated += int(result.rowcount or 0)  # type: ignore[attr-defined]
    # The rest are rare (failures, skips): grouped by what is written.
    groups: dict[tuple[DeliveryStatus, str | None, datetime | None], list[int]] = {}
    for outcome in outcomes:
        if outcome.status != DeliveryStatus.SENT:
            key = (outcome.status, outcome.error, outcome.retry_at)
            groups.setdefault(key, []).append(outcome.delivery_id)
    for (status, error, retry_at), ids in groups.items():
        values: dict[str, Any] = {"status": status, "last_error": error}
        if status == DeliveryStatus.PENDING:
            values.update(next_attempt_at=retry_at or now, claimed_by=None, claimed_at=None)
        if leave_batch:
            values["batch_key"] = None
        result = await session.execute(
            update(Delivery)
            .where(_held_by(worker, ids))
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        updated += int(result.rowcount or 0)  # type: ignore[attr-defined]
    expected = len(outcomes)
    if updated != expected:
        logger.warning("worker %s no longer held %d of %d deliveries", worker, expected - updated, expected)
    return updated


async def release(session: AsyncSession, delivery_ids: Sequence[int], *, worker: str) -> int:
    """Give back claimed rows that were never sent (a worker stopping): pending again, due now."""
    if not delivery_ids:
        return 0
    result = await session.execute(
        update(Delivery)
        .where(_held_by(worker, delivery_ids))
        .values(
            status=DeliveryStatus.PENDING,
            claimed_by=None,
            claimed_at=None,
            attempts=Delivery.attempts - 1,
        )
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def extend_claims(
    session: AsyncSession,
    *,
    worker: str,
    now: datetime,
    delivery_ids: Iterable[int] = (),
    batch_keys: Iterable[str] = (),
) -> int:
    """The worker is alive and still working on these: their claims are renewed."""
    ids, keys = list(delivery_ids), list(batch_keys)
    if not ids and not keys:
        return 0
    result = await session.execute(
        update(Delivery)
        .where(
            Delivery.claimed_by == worker,
            Delivery.status == DeliveryStatus.SENDING,
            or_(Delivery.id.in_(ids), Delivery.batch_key.in_(keys)),
        )
        .values(claimed_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def mark_unreachable(session: AsyncSession, user_ids: Iterable[int]) -> None:
    """The platform says these users blocked us: nothing more is sent to them."""
    ids = list(user_ids)
    if ids:
        await session.execute(
            update(User)
            .where(User.id.in_(ids))
            .values(reachable=False)
            .execution_options(synchronize_session=False)
        )
