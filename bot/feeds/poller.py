"""The CAP feed relay: polls each feed at its interval and relays the messages that are new.

- **Politely**: conditional GETs (If-None-Match / If-Modified-Since with the validators of the last
  complete fetch), never more often than the feed's interval (a poll claims the feed until then).
- **Failures back off**: interval × 2^failures in a row, at most FEEDS_BACKOFF_MAX_S (never less
  than the interval), longer when the server's Retry-After asks for it (up to the same ceiling).
  Each error is written to the feed's log.
- **One feed never stops the others**: each is polled in a task of its own and every error is
  caught there.
- **Nothing is lost**: an index entry counts as done only once its message is recorded; after an
  error the validators are dropped, so the next poll reads the whole index again and retries the
  entries that are not done. **Nothing is relayed twice**: every message is recorded as received
  (a unique row in the database), across feeds and restarts.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from lxml import etree
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from actions.alerts.references import parse_cap_time
from actions.cap import CAP_NS, CapError, check_cap, parse_xml
from actions.db.base import utcnow
from actions.db.models import Feed
from actions.feeds import (
    DUPLICATE,
    Entry,
    FeedFormatError,
    LogLine,
    add_to_log,
    claim_feed,
    due_feed_ids,
    newest_first,
    next_poll_at,
    read_feed,
    relay_feed_message,
)
from actions.places.gazetteer import Gazetteer, default_gazetteer
from bot.feeds.fetch import Fetcher, FetchError
from bot.settings import Settings

logger = logging.getLogger(__name__)

# A feed added meanwhile (by `safety-bot feeds add`) is first polled within this.
IDLE_CHECK_S = 30.0
# Feeds polled at the same time, and CAP documents fetched at the same time for one feed.
CONCURRENT_FEEDS = 4
CONCURRENT_DOCUMENTS = 4


@dataclass(frozen=True, slots=True)
class FeedOptions:
    timeout_s: float = 20.0
    max_bytes: int = 2_000_000
    backoff_max_s: float = 900.0

    @classmethod
    def from_settings(cls, settings: Settings) -> FeedOptions:
        return cls(settings.feeds_timeout_s, settings.feeds_max_bytes, settings.feeds_backoff_max_s)


def backoff_s(interval_s: float, failures: int, ceiling_s: float, retry_after_s: float | None) -> float:
    """The pause before polling a feed again after `failures` failed polls in a row."""
    ceiling = max(ceiling_s, interval_s)
    delay = min(interval_s * 2.0**failures, ceiling)
    if retry_after_s is not None:
        delay = min(max(delay, retry_after_s), ceiling)
    return max(delay, interval_s)


@dataclass(slots=True)
class PollReport:
    """One poll of one feed: what it came to, as `safety-bot feeds` shows it."""

    feed_id: int
    name: str
    url: str
    # Whether every part of the poll worked (no error logged).
    ok: bool
    summary: str
    next_poll_at: datetime


@dataclass(slots=True)
class _Poll:
    """What one poll of a feed found and did, saved at its end."""

    feed_id: int
    name: str
    url: str
    interval_s: int
    failures: int
    etag: str | None
    last_modified: str | None
    seen: set[str]
    started: datetime
    lines: list[LogLine] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    # The index could not be read at all (the feed's state is left as it was).
    failed: bool = False
    errors: int = 0
    retry_after_s: float | None = None
    status: str = ""
    # The keys of the index's entries (None until an index is read) and those done in this poll.
    current_keys: list[str] | None = None
    done: set[str] = field(default_factory=set)
    validators: tuple[str | None, str | None] | None = None

    @classmethod
    def of(cls, feed: Feed, now: datetime) -> _Poll:
        return cls(
            feed.id,
            feed.name,
            feed.url,
            feed.interval_s,
            feed.failures,
            feed.etag,
            feed.last_modified,
            set(feed.entries_seen),
            now,
        )

    def error(self, text: str, *, retry_after_s: float | None = None) -> None:
        logger.warning("feed %s (%s): %s", self.feed_id, self.name, text)
        self.errors += 1
        self.lines.append(LogLine(utcnow(), "error", text))
        if retry_after_s is not None:
            self.retry_after_s = max(self.retry_after_s or 0.0, retry_after_s)

    def fail(self, text: str, *, retry_after_s: float | None = None) -> None:
        self.failed = True
        self.error(text, retry_after_s=retry_after_s)

    def note(self, text: str) -> None:
        logger.info("feed %s (%s): %s", self.feed_id, self.name, text)
        self.lines.append(LogLine(utcnow(), "note", text))

    def summary(self) -> str:
        if self.failed:
            return f"error: {self.lines[-1].text}"
        parts = [f"{count} {what}" for what, count in self.counts.most_common()]
        text = self.status + (": " + ", ".join(parts) if parts else "")
        return text + (f"; {self.errors} error(s)" if self.errors else "")


def _label(entry: Entry) -> str:
    return repr(entry.title) if entry.title else entry.link or entry.key


def _sent(root: etree._Element) -> datetime:
    try:
        return parse_cap_time(root.findtext(f"{{{CAP_NS}}}sent") or "")
    except ValueError:
        return datetime.max.replace(tzinfo=UTC)


class FeedPoller:
    """Polls the feeds of the database until :meth:`stop` (or once, with :meth:`poll_due`)."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        options: FeedOptions,
        *,
        gazetteer: Gazetteer | None = None,
    ) -> None:
        self._sessions = sessions
        self._options = options
        self._gazetteer = gazetteer or default_gazetteer()
        self._fetcher = Fetcher(timeout_s=options.timeout_s, max_bytes=options.max_bytes)
        self._stopping = asyncio.Event()
        self._feeds = asyncio.Semaphore(CONCURRENT_FEEDS)
        self._in_flight: dict[int, asyncio.Task[PollReport | None]] = {}

    def stop(self) -> None:
        self._stopping.set()

    async def aclose(self) -> None:
        await self._fetcher.aclose()

    async def run(self) -> None:
        """Poll each feed when it is due until stopped; polls in progress finish first."""
        logger.info("feed relay started")
        while not self._stopping.is_set():
            try:
                now = utcnow()
                async with self._sessions() as session:
                    due = await due_feed_ids(session, now)
                for feed_id in due:
                    if feed_id not in self._in_flight:
                        self._start(feed_id, now)
                wait = await self._until_next()
            except Exception:
                logger.exception("feed relay: looking for due feeds failed; trying again")
                wait = IDLE_CHECK_S
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), wait)
        if self._in_flight:
            await asyncio.gather(*self._in_flight.values(), return_exceptions=True)
        logger.info("feed relay stopped")

    def _start(self, feed_id: int, now: datetime) -> None:
        task = asyncio.create_task(self.poll_feed(feed_id, now), name=f"feeds:{feed_id}")
        self._in_flight[feed_id] = task

        def finished(_: asyncio.Task[PollReport | None]) -> None:
            self._in_flight.pop(feed_id, None)

        task.add_done_callback(finished)

    async def _until_next(self) -> float:
        async with self._sessions() as session:
            moment = await next_poll_at(session)
        if moment is None:
            return IDLE_CHECK_S
        return min(IDLE_CHECK_S, max(0.5, (moment - utcnow()).total_seconds()))

    async def poll_due(self, now: datetime | None = None) -> list[PollReport]:
        """Poll every feed due at `now` (default: now) and wait for them all."""
        now = now or utcnow()
        async with self._sessions() as session:
            due = await due_feed_ids(session, now)
        reports = await asyncio.gather(*(self.poll_feed(feed_id, now) for feed_id in due))
        return [report for report in reports if report is not None]

    async def poll_feed(self, feed_id: int, now: datetime) -> PollReport | None:
        """Poll one feed if it is due and nobody else polls it; None when it was not ours to poll."""
        async with self._feeds:
            async with self._sessions() as session:
                feed = await session.get(Feed, feed_id)
                if feed is None:
                    return None
                lease = now + timedelta(seconds=feed.interval_s)
                if not await claim_feed(session, feed_id, now=now, until=lease):
                    return None
                await session.commit()
                poll = _Poll.of(feed, now)
            try:
                await self._poll(poll)
            except Exception as exc:
                logger.exception("feed %s (%s): poll failed", poll.feed_id, poll.name)
                poll.fail(f"{exc.__class__.__name__}: {exc}"[:500])
            return await self._save(poll)

    async def _poll(self, poll: _Poll) -> None:
        try:
            fetched = await self._fetcher.fetch(poll.url, etag=poll.etag, last_modified=poll.last_modified)
        except FetchError as exc:
            poll.fail(str(exc), retry_after_s=exc.retry_after_s)
            return
        if fetched.not_modified:
            poll.status = "not modified (304)"
            poll.validators = (fetched.etag, fetched.last_modified)
            return
        try:
            document = read_feed(fetched.body, poll.url)
        except FeedFormatError as exc:
            poll.fail(f"{poll.url}: {exc}")
            return
        messages: list[tuple[str | None, etree._Element]] = []
        if document.alert is not None:
            poll.status = "200: a CAP message"
            messages.append((None, document.alert))
        else:
            entries = newest_first(document.entries)
            poll.current_keys = [entry.key for entry in entries]
            new = [entry for entry in entries if entry.key not in poll.seen]
            poll.status = f"200: {len(entries)} entries, {len(new)} new"
            documents = asyncio.Semaphore(CONCURRENT_DOCUMENTS)
            roots = await asyncio.gather(*(self._entry_alert(entry, poll, documents) for entry in new))
            messages += [
                (entry.key, root) for entry, root in zip(new, roots, strict=True) if root is not None
            ]
        await self._relay(poll, messages)
        if not poll.errors:
            poll.validators = (fetched.etag, fetched.last_modified)

    async def _entry_alert(
        self, entry: Entry, poll: _Poll, documents: asyncio.Semaphore
    ) -> etree._Element | None:
        """The CAP <alert> of an entry: embedded, or fetched from its link. None when there is
        none (the entry is done, with a note) or it could not be fetched now (an error)."""
        if entry.alert is not None:
            return entry.alert
        if not entry.link:
            poll.note(f"entry {_label(entry)} has neither a CAP <alert> nor a link to one")
            poll.done.add(entry.key)
            return None
        async with documents:
            try:
                fetched = await self._fetcher.fetch(entry.link)
            except FetchError as exc:
                if exc.gone:
                    poll.note(f"entry {_label(entry)}: {exc}; skipped")
                    poll.done.add(entry.key)
                else:
                    poll.error(f"entry {_label(entry)}: {exc}", retry_after_s=exc.retry_after_s)
                return None
        try:
            return parse_xml(fetched.body)
        except CapError as exc:
            poll.note(f"entry {_label(entry)} ({entry.link}): {'; '.join(exc.problems)}")
            poll.counts["invalid"] += 1
            poll.done.add(entry.key)
            return None

    async def _relay(self, poll: _Poll, messages: list[tuple[str | None, etree._Element]]) -> None:
        checked: list[tuple[str | None, etree._Element]] = []
        for key, root in messages:
            try:
                checked.append((key, check_cap(root)))
            except CapError as exc:
                poll.note(f"not a valid CAP message: {'; '.join(exc.problems)}"[:1000])
                poll.counts["invalid"] += 1
                if key is not None:
                    poll.done.add(key)
        # Oldest first: an Alert before the Update that replaces it and the Cancel that ends it.
        checked.sort(key=lambda item: _sent(item[1]))
        for key, root in checked:
            try:
                result = await relay_feed_message(
                    self._sessions,
                    root,
                    feed_id=poll.feed_id,
                    actor=f"feed:{poll.name}"[:255],
                    # The moment of relaying, whatever the poll's clock: alerts and their
                    # deliveries are timed by it, and expiry is judged by it.
                    now=utcnow(),
                    gazetteer=self._gazetteer,
                )
            except Exception as exc:
                # The database is unreachable: the rest is tried again at the next poll.
                logger.exception("feed %s: relaying failed", poll.feed_id)
                poll.error(f"relaying failed: {exc.__class__.__name__}: {exc}"[:500])
                return
            label = {DUPLICATE: "already received"}.get(result.outcome, result.outcome)
            poll.counts[f"{label} ({result.reason})" if result.reason else label] += 1
            for note in result.notes:
                poll.note(note)
            if key is not None:
                poll.done.add(key)

    async def _save(self, poll: _Poll) -> PollReport | None:
        async with self._sessions() as session:
            feed = await session.get(Feed, poll.feed_id)
            if feed is None:  # removed while it was polled
                return None
            add_to_log(feed, poll.lines)
            feed.last_result = poll.summary()[:2000]
            if poll.errors:
                feed.failures += 1
                delay = backoff_s(
                    feed.interval_s, feed.failures, self._options.backoff_max_s, poll.retry_after_s
                )
            else:
                feed.failures = 0
                feed.last_success_at = poll.started
                delay = feed.interval_s
            feed.next_poll_at = poll.started + timedelta(seconds=delay)
            if poll.current_keys is not None:
                kept = poll.seen | poll.done
                feed.entries_seen = [key for key in poll.current_keys if key in kept]
            if not poll.failed:
                # Without every entry done, the next poll must read the whole index again.
                feed.etag, feed.last_modified = poll.validators or (None, None)
            await session.commit()
            return PollReport(
                poll.feed_id, poll.name, poll.url, not poll.errors, feed.last_result, feed.next_poll_at
            )


@asynccontextmanager
async def feed_poller(
    settings: Settings, sessions: async_sessionmaker[AsyncSession]
) -> AsyncIterator[FeedPoller | None]:
    """Run the feed relay in the background while the context is open (when FEEDS_ENABLED)."""
    if not settings.feeds_enabled:
        logger.info("feed relay off (FEEDS_ENABLED=false)")
        yield None
        return
    poller = FeedPoller(sessions, FeedOptions.from_settings(settings))
    task = asyncio.create_task(poller.run(), name="feeds:poller")
    try:
        yield poller
    finally:
        poller.stop()
        try:
            await asyncio.wait_for(task, settings.feeds_timeout_s + 5)
        except Exception:
            logger.exception("the feed relay did not stop cleanly")
        await poller.aclose()
