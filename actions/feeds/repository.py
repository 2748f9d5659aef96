"""The feeds the CAP relay polls: add, find, list and remove them, claim the ones due, keep their log.

A poller claims a due feed by moving its `next_poll_at` forward in one conditional UPDATE, so two
pollers (the app's and a `safety-bot feeds run`) never poll the same feed at the same time, and a
feed is never polled more often than its interval.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from urllib.parse import urlsplit

from sqlalchemy import func, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from actions.audit import record_audit
from actions.db.models import Feed, ReceivedCapMessage

logger = logging.getLogger(__name__)

DEFAULT_INTERVAL_S = 120
# Agencies' servers are not ours to hammer: no feed is polled more often than this.
MIN_INTERVAL_S = 30
# Errors and notes kept per feed (the newest).
LOG_SIZE = 50


class FeedError(ValueError):
    """A feed cannot be added or found as asked."""


@dataclass(frozen=True, slots=True)
class LogLine:
    at: datetime
    level: Literal["error", "note"]
    text: str

    def to_json(self) -> dict[str, Any]:
        return {"at": self.at.isoformat(), "level": self.level, "text": self.text[:1000]}


def _check_url(url: str) -> str:
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise FeedError(f"{url!r} is not an http:// or https:// address")
    return url


async def add_feed(
    session: AsyncSession, *, url: str, name: str, interval_s: int, now: datetime, actor: str
) -> Feed:
    """A new feed, first polled at once (not committed; audited as ``feed.add``).

    Raises:
        FeedError: not an http(s) address, no name, an interval under MIN_INTERVAL_S, a URL
            already added.
    """
    url = _check_url(url)
    name = name.strip()
    if not name or len(name) > 255:
        raise FeedError("a feed needs a name of 1 to 255 characters")
    if interval_s < MIN_INTERVAL_S:
        raise FeedError(f"the interval must be at least {MIN_INTERVAL_S} s (got {interval_s})")
    if (existing := await session.scalar(select(Feed).where(Feed.url == url))) is not None:
        raise FeedError(f"{url} is already feed {existing.id} ({existing.name})")
    feed = Feed(
        url=url, name=name, interval_s=interval_s, next_poll_at=now, failures=0, entries_seen=[], log=[]
    )
    feed.created_at = now
    session.add(feed)
    await session.flush()
    await record_audit(
        session,
        actor=actor,
        action="feed.add",
        target=f"feed:{feed.id}",
        details={"url": url, "name": name, "interval_s": interval_s},
        now=now,
    )
    return feed


async def find_feed(session: AsyncSession, reference: str) -> Feed | None:
    """A feed by its number, its name or its URL."""
    reference = reference.strip()
    if reference.isdigit() and (feed := await session.get(Feed, int(reference))) is not None:
        return feed
    return await session.scalar(
        select(Feed).where((Feed.name == reference) | (Feed.url == reference)).order_by(Feed.id).limit(1)
    )


async def list_feeds(session: AsyncSession) -> list[Feed]:
    return list(await session.scalars(select(Feed).order_by(Feed.id)))


async def remove_feed(session: AsyncSession, feed: Feed, *, now: datetime, actor: str) -> None:
    """Forget a feed (not committed; audited). The messages it brought stay known as received,
    so adding it again relays nothing twice."""
    await session.execute(
        update(ReceivedCapMessage).where(ReceivedCapMessage.feed_id == feed.id).values(feed_id=None)
    )
    await record_audit(
        session,
        actor=actor,
        action="feed.remove",
        target=f"feed:{feed.id}",
        details={"url": feed.url, "name": feed.name},
        now=now,
    )
    await session.delete(feed)


async def due_feed_ids(session: AsyncSession, now: datetime) -> list[int]:
    return list(await session.scalars(select(Feed.id).where(Feed.next_poll_at <= now).order_by(Feed.id)))


async def next_poll_at(session: AsyncSession) -> datetime | None:
    """When the next feed is due (None without feeds)."""
    moment: datetime | None = await session.scalar(select(func.min(Feed.next_poll_at)))
    return moment


async def claim_feed(session: AsyncSession, feed_id: int, *, now: datetime, until: datetime) -> bool:
    """Take a due feed for one poll: nobody else polls it before `until` (not committed)."""
    result = await session.execute(
        update(Feed)
        .where(Feed.id == feed_id, Feed.next_poll_at <= now)
        .values(next_poll_at=until, last_polled_at=now)
        .execution_options(synchronize_session=False)
    )
    assert isinstance(result, CursorResult)
    return result.rowcount == 1


def add_to_log(feed: Feed, lines: list[LogLine]) -> None:
    """Append to the feed's log, keeping the newest LOG_SIZE lines."""
    if lines:
        feed.log = [*feed.log, *(line.to_json() for line in lines)][-LOG_SIZE:]


def last_errors(feed: Feed, count: int) -> list[dict[str, Any]]:
    return [line for line in feed.log if line.get("level") == "error"][-count:]
