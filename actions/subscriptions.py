"""Alert subscriptions: an area by name, or a circle around a shared location."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from actions.db.models import Subscription, User
from actions.places.gazetteer import Area
from actions.places.geo import Point

# A named beach is small; warnings for "Patong" should cover the whole bay and its hills.
MIN_AREA_RADIUS_M = 2_000
LOCATION_RADIUS_M = 5_000


async def active_subscriptions(session: AsyncSession, user: User) -> list[Subscription]:
    statement = (
        select(Subscription)
        .where(Subscription.user_id == user.id, Subscription.active.is_(True))
        .order_by(Subscription.id)
    )
    return list(await session.scalars(statement))


async def subscribe(
    session: AsyncSession,
    user: User,
    *,
    now: datetime,
    area: Area | None = None,
    point: Point | None = None,
    label: str | None = None,
) -> tuple[Subscription, bool]:
    """Subscribe to an area or a point; returns the subscription and whether it is new."""
    existing = await active_subscriptions(session, user)
    if area is not None:
        for subscription in existing:
            if subscription.area_id == area.id:
                return subscription, False
        subscription = Subscription(
            user_id=user.id,
            area_id=area.id,
            lat=area.point.lat,
            lon=area.point.lon,
            radius_m=max(area.radius_m, MIN_AREA_RADIUS_M),
            label=label or area.name("en"),
            created_at=now,
        )
    elif point is not None:
        subscription = Subscription(
            user_id=user.id,
            area_id=None,
            lat=point.lat,
            lon=point.lon,
            radius_m=LOCATION_RADIUS_M,
            label=label or f"{point.lat:.4f}, {point.lon:.4f}",
            created_at=now,
        )
    else:
        raise ValueError("subscribe to an area or a point")
    session.add(subscription)
    await session.flush()
    return subscription, True


async def unsubscribe(
    session: AsyncSession, user: User, *, area_id: str | None = None, subscription_id: int | None = None
) -> list[Subscription]:
    """Deactivate the matching subscriptions (all when nothing is named); returns those removed."""
    removed = []
    for subscription in await active_subscriptions(session, user):
        if area_id is not None and subscription.area_id != area_id:
            continue
        if subscription_id is not None and subscription.id != subscription_id:
            continue
        subscription.active = False
        removed.append(subscription)
    await session.flush()
    return removed
