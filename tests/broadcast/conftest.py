"""Broadcasts under test: subscribers in the database, alerts issued as agencies issue them, workers
(in the test's event loop or as a real `safety-bot worker` process) against the fake platforms."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from actions.alerts.draft import AlertDraft, AreaDraft
from actions.alerts.service import create_alert
from actions.alerts.vocabulary import Certainty, Hazard, Severity, Urgency
from actions.broadcast import DeliveryCounts, delivery_counts
from actions.db.base import utcnow
from actions.db.models import Delivery, Subscription, User
from actions.places.gazetteer import default_gazetteer
from bot.broadcast import DeliveryWorker
from bot.settings import Settings
from tests.bot.channels.conftest import LINE_SECRET, LINE_TOKEN, TELEGRAM_TOKEN, line_api, telegram_api
from tests.bot.conftest import dead_nlu_url, make_settings
from tests.fakes.line_api import FakeLineApi
from tests.fakes.telegram_api import FakeTelegramApi

# Fixtures shared with tests/bot, used here too.
__all__ = ["dead_nlu_url", "line_api", "telegram_api"]

HEADLINE = {"th": "คำเตือนสึนามิ", "en": "Tsunami warning"}
INSTRUCTION = {"th": "อพยพขึ้นที่สูงทันที", "en": "Move to high ground now"}
# Quick retries and polling: the tests wait for outcomes, never for fixed times.
FAST = {
    "delivery_poll_interval_s": 0.05,
    "delivery_retry_base_s": 0.05,
    "delivery_retry_max_s": 0.2,
}


@dataclass(frozen=True)
class Subscriber:
    """A user and one subscription: a gazetteer zone (its extent, 2 km at least) or a point."""

    channel: str
    channel_user_id: str
    language: str | None = "en"
    zone: str | None = "patong"
    point: tuple[float, float] | None = None
    radius_m: float = 5_000
    reachable: bool = True


def platform_settings(
    database_url: str, line: FakeLineApi, telegram: FakeTelegramApi, **overrides: Any
) -> Settings:
    values: dict[str, Any] = {
        "line_channel_secret": LINE_SECRET,
        "line_channel_access_token": LINE_TOKEN,
        "line_api_base_url": line.url,
        "line_data_api_base_url": line.data.url,
        "telegram_bot_token": TELEGRAM_TOKEN,
        "telegram_api_base_url": telegram.url,
        "load_demo_places": False,
        **FAST,
        **overrides,
    }
    return make_settings(database_url, "http://127.0.0.1:9", **values)


async def add_subscribers(
    sessions: async_sessionmaker[AsyncSession], subscribers: list[Subscriber]
) -> list[int]:
    """Users and their subscriptions, written in bulk (a user named twice has two subscriptions);
    returns the user id of each subscriber in order."""
    gazetteer = default_gazetteer()
    now = utcnow()
    users: dict[tuple[str, str], Subscriber] = {}
    for s in subscribers:
        users.setdefault((s.channel, s.channel_user_id), s)
    async with sessions() as session:
        rows = [
            {
                "channel": s.channel,
                "channel_user_id": s.channel_user_id,
                "language": s.language,
                "reachable": s.reachable,
                "created_at": now,
                "updated_at": now,
            }
            for s in users.values()
        ]
        ids = list(await session.scalars(insert(User).returning(User.id, sort_by_parameter_order=True), rows))
        user_ids = dict(zip(users, ids, strict=True))
        subscriptions = []
        for s in subscribers:
            if s.zone is not None:
                area = gazetteer.get(s.zone)
                assert area is not None
                lat, lon, radius = area.point.lat, area.point.lon, max(area.radius_m, 2_000)
            else:
                assert s.point is not None
                (lat, lon), radius = s.point, s.radius_m
            subscriptions.append(
                {
                    "user_id": user_ids[(s.channel, s.channel_user_id)],
                    "area_id": s.zone,
                    "lat": lat,
                    "lon": lon,
                    "radius_m": radius,
                    "label": s.zone or "point",
                    "active": True,
                    "created_at": now,
                }
            )
        await session.execute(insert(Subscription), subscriptions)
        await session.commit()
    return [user_ids[(s.channel, s.channel_user_id)] for s in subscribers]


async def issue_alert(
    sessions: async_sessionmaker[AsyncSession],
    *,
    zones: list[str] | None = None,
    headline: dict[str, str] | None = None,
    instruction: dict[str, str] | None = None,
) -> int:
    """An alert issued as an operator issues one (alert, deliveries and audit row, committed)."""
    draft = AlertDraft(
        hazard=Hazard.TSUNAMI,
        severity=Severity.EXTREME,
        urgency=Urgency.IMMEDIATE,
        certainty=Certainty.OBSERVED,
        area=AreaDraft(zones=zones or ["patong"]),
        headline=headline or HEADLINE,
        instruction=instruction or INSTRUCTION,
    )
    async with sessions() as session:
        result = await create_alert(session, draft, actor="test", agency="DDPM Phuket", now=utcnow())
        await session.commit()
        return result.alert.id


async def deliveries(sessions: async_sessionmaker[AsyncSession], alert_id: int) -> dict[str, Delivery]:
    """The alert's deliveries by the recipient's platform id."""
    async with sessions() as session:
        rows = await session.execute(
            select(User.channel_user_id, Delivery)
            .join(User, User.id == Delivery.user_id)
            .where(Delivery.alert_id == alert_id)
        )
        return {channel_user_id: delivery for channel_user_id, delivery in rows}


async def counts(sessions: async_sessionmaker[AsyncSession], alert_id: int) -> DeliveryCounts:
    async with sessions() as session:
        return await delivery_counts(session, alert_id)


async def eventually(check: Callable[[], Awaitable[bool]], *, what: str, within_s: float = 60.0) -> None:
    """Poll until `check` holds; the limit only stops a hung test, it is not what is tested."""
    deadline = time.monotonic() + within_s
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting: {what}")
        await asyncio.sleep(0.02)


async def delivered(sessions: async_sessionmaker[AsyncSession], alert_id: int) -> DeliveryCounts:
    """Wait until every delivery of the alert is settled (sent, failed or skipped)."""
    result: DeliveryCounts | None = None

    async def done() -> bool:
        nonlocal result
        result = await counts(sessions, alert_id)
        return result.done

    await eventually(done, what=f"alert {alert_id} delivered")
    assert result is not None
    return result


@asynccontextmanager
async def running_worker(
    settings: Settings, sessions: async_sessionmaker[AsyncSession]
) -> AsyncIterator[DeliveryWorker]:
    """A delivery worker in the test's event loop, stopped (gracefully) at the end."""
    worker = DeliveryWorker.from_settings(settings, sessions)
    task = asyncio.create_task(worker.run())
    try:
        yield worker
    finally:
        worker.stop()
        await task
        await worker.aclose()
