"""The app relays the feeds itself (FEEDS_ENABLED, the default), and does not when it is off."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.alerts.conftest import cap_document
from tests.api.conftest import open_api
from tests.bot.conftest import make_settings
from tests.broadcast.conftest import eventually
from tests.fakes.feed_server import FakeFeedServer
from tests.feeds.conftest import all_alerts, new_feed


async def test_the_app_relays_a_feed_added_before_it_started(
    database_url: str, dead_nlu_url: str, sessions: async_sessionmaker[AsyncSession], agency: FakeFeedServer
):
    await new_feed(
        sessions, agency.publish("/tmd.xml", cap_document(identifier="TMD-1"), "application/cap+xml")
    )
    settings = make_settings(database_url, dead_nlu_url, load_demo_places=False)
    async with open_api(settings) as api:

        async def relayed() -> bool:
            return len(await all_alerts(sessions)) == 1

        await eventually(relayed, what="the app relays the feed")
        listed = (await api.get("/api/v1/alerts")).json()["items"]
        assert [item["identifier"] for item in listed] == ["TMD-1"]


async def test_with_feeds_enabled_false_the_app_does_not_poll(
    database_url: str, dead_nlu_url: str, sessions: async_sessionmaker[AsyncSession], agency: FakeFeedServer
):
    await new_feed(
        sessions, agency.publish("/tmd.xml", cap_document(identifier="TMD-1"), "application/cap+xml")
    )
    settings = make_settings(database_url, dead_nlu_url, load_demo_places=False, feeds_enabled=False)
    async with open_api(settings) as api:
        assert api.app.state.feed_poller is None
        assert (await api.client.get("/healthz")).status_code == 200
    assert agency.requests_to("/tmd.xml") == [] and await all_alerts(sessions) == []
