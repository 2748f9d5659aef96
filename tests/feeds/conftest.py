"""Feeds under test: a fake agency server on 127.0.0.1, feeds in the database, a poller polling
them at the times a test gives (so a test says when, never waits for a clock)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from actions.db.base import utcnow
from actions.db.models import Alert, Delivery, Feed, ReceivedCapMessage
from actions.feeds import add_feed
from bot.feeds import FeedOptions, FeedPoller
from tests.bot.channels.conftest import line_api, telegram_api
from tests.bot.conftest import dead_nlu_url
from tests.fakes.feed_server import FakeFeedServer

__all__ = ["dead_nlu_url", "line_api", "telegram_api"]  # fixtures shared with tests/bot

# Short deadlines: a hanging server costs a test one second.
OPTIONS = FeedOptions(timeout_s=1.0, max_bytes=100_000, backoff_max_s=600.0)
INTERVAL_S = 120


@pytest.fixture
async def agency() -> AsyncIterator[FakeFeedServer]:
    server = FakeFeedServer()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def poller(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[FeedPoller]:
    running = FeedPoller(sessions, OPTIONS)
    yield running
    await running.aclose()


async def new_feed(
    sessions: async_sessionmaker[AsyncSession],
    url: str,
    *,
    name: str = "TMD",
    interval_s: int = INTERVAL_S,
    now: datetime | None = None,
) -> int:
    async with sessions() as session:
        feed = await add_feed(
            session, url=url, name=name, interval_s=interval_s, now=now or utcnow(), actor="test"
        )
        await session.commit()
        return feed.id


async def feed_row(sessions: async_sessionmaker[AsyncSession], feed_id: int) -> Feed:
    async with sessions() as session:
        feed = await session.get(Feed, feed_id)
        assert feed is not None
        return feed


async def all_alerts(sessions: async_sessionmaker[AsyncSession]) -> list[Alert]:
    async with sessions() as session:
        return list(await session.scalars(select(Alert).order_by(Alert.id)))


async def received(sessions: async_sessionmaker[AsyncSession]) -> dict[str, ReceivedCapMessage]:
    """The CAP messages received, by identifier."""
    async with sessions() as session:
        rows = await session.scalars(select(ReceivedCapMessage).order_by(ReceivedCapMessage.id))
        return {row.identifier: row for row in rows}


async def delivery_count(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions() as session:
        return len((await session.scalars(select(Delivery.id))).all())


@dataclass(frozen=True)
class IndexEntry:
    """One entry of an index: linking a CAP document, or embedding one (or, to test, neither)."""

    id: str
    updated: str
    link: str | None = None
    alert: bytes | None = None
    title: str = "CAP message"


def _embedded(document: bytes) -> str:
    text = document.decode()
    return text[text.index("?>") + 2 :] if text.startswith("<?xml") else text


def atom(*entries: IndexEntry) -> bytes:
    """An Atom index, as agencies publish them (and as /api/v1/alerts/cap embeds)."""
    parts = []
    for entry in entries:
        link = f'<link rel="alternate" type="application/cap+xml" href="{entry.link}"/>' if entry.link else ""
        content = (
            f'<content type="application/cap+xml">{_embedded(entry.alert)}</content>' if entry.alert else ""
        )
        parts.append(
            f"<entry><id>{entry.id}</id><title>{entry.title}</title><updated>{entry.updated}</updated>"
            f"{link}{content}</entry>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        "<id>urn:test:feed</id><title>Warnings</title><updated>2026-12-06T10:00:00+07:00</updated>"
        + "".join(parts)
        + "</feed>"
    ).encode()


def rss(*entries: IndexEntry) -> bytes:
    """An RSS 2.0 index whose items link their CAP documents with an <enclosure>."""
    items = "".join(
        f'<item><title>{entry.title}</title><guid isPermaLink="false">{entry.id}</guid>'
        f"<pubDate>{entry.updated}</pubDate>"
        f'<enclosure url="{entry.link}" type="application/cap+xml" length="0"/></item>'
        for entry in entries
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Warnings</title>'
        f"<link>https://www.tmd.go.th/</link><description>CAP</description>{items}</channel></rss>"
    ).encode()
