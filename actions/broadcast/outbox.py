"""The delivery outbox: which subscribers an alert reaches, written in the alert's own transaction.

Rows are created in the caller's transaction, so an alert is never committed without its deliveries
(nor deliveries without their alert); a delivery worker sends them afterwards.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from actions.alerts import AlertArea, Circle
from actions.db.models import Alert, Delivery, Subscription, User
from actions.domain import DEFAULT_LANGUAGE, SUPPORTED_LANGUAGES, Channel, DeliveryStatus
from actions.places.gazetteer import Gazetteer
from actions.places.geo import Point

logger = logging.getLogger(__name__)

# Channels whose platform lets us write to a user who is not talking to us right now.
PUSH_CHANNELS = frozenset({Channel.LINE.value, Channel.TELEGRAM.value})
CANNOT_PUSH = "channel cannot push"
UNREACHABLE = "user unreachable (unfollowed or blocked the bot)"
# Rows per INSERT: large broadcasts are written in chunks to bound statement size.
INSERT_CHUNK = 5_000


@dataclass(frozen=True, slots=True)
class Recipient:
    user_id: int
    channel: str
    language: str
    reachable: bool


def delivery_language(language: str | None) -> str:
    """The user's language when we support it, else English."""
    return language if language in SUPPORTED_LANGUAGES else DEFAULT_LANGUAGE


async def alert_recipients(session: AsyncSession, alert: Alert, *, gazetteer: Gazetteer) -> list[Recipient]:
    """Users with an active subscription whose circle touches the alert's area, each once."""
    area = AlertArea.from_json(alert.area)
    statement = (
        select(
            Subscription.user_id,
            Subscription.lat,
            Subscription.lon,
            Subscription.radius_m,
            User.channel,
            User.language,
            User.reachable,
        )
        .join(User, User.id == Subscription.user_id)
        .where(Subscription.active.is_(True))
        .order_by(Subscription.user_id)
    )
    recipients: dict[int, Recipient] = {}
    for user_id, lat, lon, radius_m, channel, language, reachable in await session.execute(statement):
        if user_id in recipients:
            continue
        if area.touches(Circle(Point(lat, lon), radius_m), gazetteer):
            recipients[user_id] = Recipient(
                user_id, channel, delivery_language(language), reachable is not False
            )
    return list(recipients.values())


async def enqueue_deliveries(
    session: AsyncSession, alert: Alert, *, gazetteer: Gazetteer, now: datetime
) -> int:
    """Create one delivery per targeted user (in the caller's transaction); returns how many.

    Users already holding a delivery of this alert are left alone, so calling it again (an area
    widened by an update) adds only the new ones. Users we cannot push to are recorded as
    `skipped` with the reason; the rest are `pending`, due when the alert becomes effective.
    """
    if alert.id is None:
        await session.flush()
    existing = set(await session.scalars(select(Delivery.user_id).where(Delivery.alert_id == alert.id)))
    due = max(now, alert.effective)
    rows: list[dict[str, Any]] = []
    for recipient in await alert_recipients(session, alert, gazetteer=gazetteer):
        if recipient.user_id in existing:
            continue
        reason = None
        if recipient.channel not in PUSH_CHANNELS:
            reason = CANNOT_PUSH
        elif not recipient.reachable:
            reason = UNREACHABLE
        rows.append(
            {
                "alert_id": alert.id,
                "user_id": recipient.user_id,
                "channel": recipient.channel,
                "language": recipient.language,
                "status": DeliveryStatus.SKIPPED if reason else DeliveryStatus.PENDING,
                "last_error": reason,
                "attempts": 0,
                "next_attempt_at": due,
                "created_at": now,
            }
        )
    for start in range(0, len(rows), INSERT_CHUNK):
        await session.execute(insert(Delivery), rows[start : start + INSERT_CHUNK])
    logger.info("alert %s: %d deliveries enqueued", alert.identifier, len(rows))
    return len(rows)
