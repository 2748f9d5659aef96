"""`safety-bot feeds ...`: the CAP feeds relayed to subscribers, and a relay of its own (`run`)."""

from __future__ import annotations

import asyncio
import getpass
import signal
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import click
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from actions.db.base import utcnow
from actions.db.migrate import upgrade_database
from actions.db.models import Feed
from actions.db.session import create_engine, create_session_factory
from actions.feeds import (
    DEFAULT_INTERVAL_S,
    MIN_INTERVAL_S,
    FeedError,
    add_feed,
    find_feed,
    last_errors,
    list_feeds,
    remove_feed,
)
from bot.feeds.poller import FeedOptions, FeedPoller, PollReport
from bot.settings import get_settings

T = TypeVar("T")
PHUKET_TIME = ZoneInfo("Asia/Bangkok")
ERRORS_LISTED = 3


@asynccontextmanager
async def _database() -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(get_settings().database_url)
    try:
        await upgrade_database(engine)
        yield create_session_factory(engine)
    finally:
        await engine.dispose()


def _in_session(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    async def run() -> T:
        async with _database() as sessions, sessions() as session:
            return await work(session)

    return asyncio.run(run())


def _actor() -> str:
    return f"cli:{getpass.getuser()}"


def _time(moment: datetime | None) -> str:
    return f"{moment.astimezone(PHUKET_TIME):%Y-%m-%d %H:%M:%S} ICT" if moment else "never"


def _log_line(line: dict[str, Any]) -> str:
    at = datetime.fromisoformat(line["at"]) if line.get("at") else None
    return f"{_time(at)}  {line.get('level', '?'):<5}  {line.get('text', '')}"


def _describe(feed: Feed) -> list[str]:
    state = "ok" if not feed.failures else f"{feed.failures} failed poll(s) in a row"
    lines = [
        f"{feed.id:>4}  {feed.name}  (every {feed.interval_s} s)  {feed.url}",
        f"      last poll: {_time(feed.last_polled_at)}: {feed.last_result or '-'}",
        f"      next poll: {_time(feed.next_poll_at)}  ({state}; last success {_time(feed.last_success_at)})",
    ]
    errors = last_errors(feed, ERRORS_LISTED)
    if errors:
        lines.append("      last errors:")
        lines += [f"        {_log_line(line)}" for line in errors]
    return lines


async def _feed(session: AsyncSession, reference: str) -> Feed:
    feed = await find_feed(session, reference)
    if feed is None:
        raise click.UsageError(f"no feed {reference!r} (give its number, name or URL; see `feeds list`)")
    return feed


@click.group()
def feeds() -> None:
    """CAP feeds relayed to subscribers: Atom or RSS indexes of CAP messages, or CAP documents."""


@feeds.command("add")
@click.argument("url")
@click.option("--name", required=True, help="What the feed is called in `feeds list` and the audit log.")
@click.option(
    "--interval",
    type=click.IntRange(min=MIN_INTERVAL_S),
    default=DEFAULT_INTERVAL_S,
    show_default=True,
    help="Seconds between polls (never more often).",
)
def feeds_add(url: str, name: str, interval: int) -> None:
    """Relay the CAP feed at URL; it is first polled at once (by the app or `feeds run`)."""

    async def work(session: AsyncSession) -> Feed:
        feed = await add_feed(session, url=url, name=name, interval_s=interval, now=utcnow(), actor=_actor())
        await session.commit()
        return feed

    try:
        feed = _in_session(work)
    except FeedError as exc:
        raise click.UsageError(str(exc)) from exc
    click.echo(f"feed {feed.id} added: {feed.name} ({feed.url}), polled every {feed.interval_s} s")


@feeds.command("list")
def feeds_list() -> None:
    """The feeds, when they were polled, what came of it, and their last errors."""

    async def work(session: AsyncSession) -> list[Feed]:
        return await list_feeds(session)

    found = _in_session(work)
    if not found:
        click.echo("no feeds; add one with `safety-bot feeds add URL --name NAME`")
    for feed in found:
        click.echo("\n".join(_describe(feed)))


@feeds.command("log")
@click.argument("feed")
def feeds_log(feed: str) -> None:
    """Everything in a feed's log (errors and notes, oldest first); FEED is its number, name or URL."""

    async def work(session: AsyncSession) -> Feed:
        return await _feed(session, feed)

    found = _in_session(work)
    click.echo("\n".join(_describe(found)))
    for line in found.log:
        click.echo(f"  {_log_line(line)}")


@feeds.command("remove")
@click.argument("feed")
def feeds_remove(feed: str) -> None:
    """Stop relaying a feed; FEED is its number, name or URL. Alerts it brought stay as they are."""

    async def work(session: AsyncSession) -> str:
        found = await _feed(session, feed)
        described = f"feed {found.id} removed: {found.name} ({found.url})"
        await remove_feed(session, found, now=utcnow(), actor=_actor())
        await session.commit()
        return described

    click.echo(_in_session(work))


def _report(report: PollReport) -> str:
    return f"{report.feed_id:>4}  {report.name}: {report.summary}  (next poll {_time(report.next_poll_at)})"


@feeds.command("run")
@click.option("--once", is_flag=True, help="Poll the feeds that are due now, then exit.")
def feeds_run(once: bool) -> None:
    """Relay the feeds until SIGTERM or Ctrl-C (the app does it too unless FEEDS_ENABLED=false).

    With --once, the exit code is 1 when a poll had errors.
    """
    settings = get_settings()

    async def run() -> list[PollReport]:
        async with _database() as sessions:
            poller = FeedPoller(sessions, FeedOptions.from_settings(settings))
            try:
                if once:
                    return await poller.poll_due()
                loop = asyncio.get_running_loop()
                for sig in (signal.SIGTERM, signal.SIGINT):
                    loop.add_signal_handler(sig, poller.stop)
                await poller.run()
                return []
            finally:
                await poller.aclose()

    reports = asyncio.run(run())
    for report in reports:
        click.echo(_report(report))
    if once and not reports:
        click.echo("no feed is due")
    if any(not report.ok for report in reports):
        sys.exit(1)
