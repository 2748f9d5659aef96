"""`safety-bot feeds add / list / log / run / remove` against a local agency server."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select

from actions.db.models import Alert, AuditLog
from actions.db.session import create_engine
from bot.cli import main
from bot.settings import get_settings
from tests.alerts.conftest import cap_document
from tests.fakes.feed_server import FakeFeedServer
from tests.fakes.server import serving_in_thread
from tests.feeds.conftest import IndexEntry, atom


@pytest.fixture
def cli_database(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("FEEDS_TIMEOUT_S", "2")
    get_settings.cache_clear()
    yield database_url
    get_settings.cache_clear()


def feeds(*args: str) -> Result:
    return CliRunner().invoke(main, ["feeds", *args])


def rows(database_url: str) -> tuple[list[str], list[str]]:
    """The identifiers of the alerts, and the audited feed actions."""

    async def run() -> tuple[list[str], list[str]]:
        engine = create_engine(database_url)
        try:
            async with engine.connect() as connection:
                alerts = list(await connection.scalars(select(Alert.identifier).order_by(Alert.id)))
                actions = list(
                    await connection.scalars(
                        select(AuditLog.action).where(AuditLog.action.like("feed.%")).order_by(AuditLog.id)
                    )
                )
                return alerts, actions
        finally:
            await engine.dispose()

    return asyncio.run(run())


def test_feeds_are_added_polled_listed_and_removed(cli_database: str):
    with serving_in_thread(FakeFeedServer()) as agency:
        document = agency.publish("/cap/TMD-1.xml", cap_document(identifier="TMD-1"), "application/cap+xml")
        index = agency.publish(
            "/feed.atom",
            atom(IndexEntry("urn:1", "2026-12-06T10:00:00+07:00", link=document)),
            "application/atom+xml",
        )
        agency.fail("/down.atom", 500)

        added = feeds("add", index, "--name", "TMD", "--interval", "60")
        assert added.exit_code == 0, added.output
        assert f"feed 1 added: TMD ({index}), polled every 60 s" in added.output
        assert feeds("add", f"{agency.url}/down.atom", "--name", "Down").exit_code == 0
        for bad, problem in [
            (["add", "ftp://example.org/feed", "--name", "X"], "is not an http:// or https:// address"),
            (["add", index, "--name", "Again"], "is already feed 1 (TMD)"),
            (["add", f"{agency.url}/x", "--name", "X", "--interval", "5"], "5 is not in the range x>=30"),
        ]:
            refused = feeds(*bad)
            assert refused.exit_code == 2 and problem in refused.output, refused.output

        polled = feeds("run", "--once")
        assert polled.exit_code == 1, polled.output  # one feed failed
        assert "TMD: 200: 1 entries, 1 new: 1 relayed" in polled.output
        assert f"Down: error: {agency.url}/down.atom answered HTTP 500" in polled.output
        again = feeds("run", "--once")
        assert again.exit_code == 0 and "no feed is due" in again.output

        listed = feeds("list")
        assert listed.exit_code == 0, listed.output
        assert f"   1  TMD  (every 60 s)  {index}" in listed.output
        assert "1 failed poll(s) in a row" in listed.output
        assert "last errors:" in listed.output and "answered HTTP 500" in listed.output
        log = feeds("log", "Down")
        assert log.exit_code == 0 and "error  " in log.output and "answered HTTP 500" in log.output

        removed = feeds("remove", "Down")
        assert removed.exit_code == 0 and "feed 2 removed: Down" in removed.output
        assert "Down" not in feeds("list").output
        unknown = feeds("remove", "Nope")
        assert unknown.exit_code == 2 and "no feed 'Nope'" in unknown.output

    alerts, actions = rows(cli_database)
    assert alerts == ["TMD-1"]
    assert actions == ["feed.add", "feed.add", "feed.remove"]
