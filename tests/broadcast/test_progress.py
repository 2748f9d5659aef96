"""Delivery progress: `GET /api/v1/alerts/{id}/deliveries`, the app's own worker, `safety-bot alert send`."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from actions.api_keys import Role
from actions.db.models import Alert
from bot.cli import main
from bot.settings import get_settings
from tests.api.conftest import issue_key
from tests.bot.channels.conftest import TELEGRAM_SECRET
from tests.bot.conftest import make_settings, running_app
from tests.broadcast.conftest import (
    Subscriber,
    add_subscribers,
    deliveries,
    eventually,
    issue_alert,
    platform_settings,
    running_worker,
)

SUBSCRIBERS = [
    Subscriber("line", "U-th", language="th"),
    Subscriber("telegram", "8001", language="en"),
    Subscriber("line", "U-gone", reachable=False),
    Subscriber("web", "browser"),
]


async def test_progress_counts_deliveries_by_state(database_url, dead_nlu_url):
    settings = make_settings(
        database_url, dead_nlu_url, load_demo_places=False, delivery_worker_enabled=False
    )
    async with running_app(settings) as (app, client):
        sessions = app.state.sessions
        await add_subscribers(sessions, SUBSCRIBERS)
        alert_id = await issue_alert(sessions)
        _, viewer = await issue_key(app, Role.VIEWER)
        auth = {"Authorization": f"Bearer {viewer}"}

        unauthenticated = await client.get(f"/api/v1/alerts/{alert_id}/deliveries")
        wrong_key = await client.get(
            f"/api/v1/alerts/{alert_id}/deliveries", headers={"Authorization": "Bearer nope"}
        )
        unknown = await client.get("/api/v1/alerts/999999/deliveries", headers=auth)
        malformed = await client.get("/api/v1/alerts/abc/deliveries", headers=auth)
        response = await client.get(f"/api/v1/alerts/{alert_id}/deliveries", headers=auth)

    assert (unauthenticated.status_code, wrong_key.status_code) == (401, 401)
    assert unknown.status_code == 404
    assert malformed.status_code == 400
    assert response.status_code == 200
    body = response.json()
    assert body["alert_id"] == alert_id and body["total"] == 4 and body["done"] is False
    assert body["counts"] == {"pending": 2, "sending": 0, "sent": 0, "failed": 0, "skipped": 2}


async def test_the_app_delivers_alerts_in_the_background(database_url, line_api, telegram_api):
    settings = platform_settings(
        database_url,
        line_api,
        telegram_api,
        public_base_url="https://bot.example.org",
        telegram_webhook_secret=TELEGRAM_SECRET,
    )
    async with running_app(settings) as (app, client):
        sessions = app.state.sessions
        await add_subscribers(sessions, SUBSCRIBERS)
        alert_id = await issue_alert(sessions)
        _, viewer = await issue_key(app, Role.VIEWER)
        progress: dict[str, object] = {}

        async def done() -> bool:
            response = await client.get(
                f"/api/v1/alerts/{alert_id}/deliveries", headers={"Authorization": f"Bearer {viewer}"}
            )
            progress.update(response.json())
            return bool(progress["done"])

        await eventually(done, what="the app's worker delivered the alert")

    assert progress["counts"] == {"pending": 0, "sending": 0, "sent": 2, "failed": 0, "skipped": 2}
    assert line_api.multicast_counts() == Counter({"U-th": 1})
    assert telegram_api.delivered_counts() == Counter({8001: 1})


@pytest.fixture
def cli_database(database_url: str, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield database_url
    get_settings.cache_clear()


async def test_alert_send_issues_the_alert_and_shows_its_delivery(
    cli_database, sessions, line_api, telegram_api
):
    await add_subscribers(sessions, [*SUBSCRIBERS, Subscriber("line", "U-kata", zone="kata")])
    args = [
        "alert", "send", "--hazard", "tsunami", "--severity", "Extreme", "--zone", "patong",
        "--headline-th", "คำเตือนสึนามิ", "--headline-en", "Tsunami warning",
        "--instruction-th", "อพยพขึ้นที่สูง", "--instruction-en", "Move to high ground",
        "--expires-in", "2h",
    ]  # fmt: skip

    async with running_worker(platform_settings(cli_database, line_api, telegram_api), sessions):
        result = await asyncio.to_thread(CliRunner().invoke, main, args)

    assert result.exit_code == 0, result.output
    assert "4 subscriber(s)" in result.output
    assert "sent 2, failed 0, skipped 2" in result.output
    async with sessions() as session:
        alert = (await session.scalars(select(Alert))).one()
    assert alert.expires is not None and alert.headline["en"] == "Tsunami warning"
    assert set(await deliveries(sessions, alert.id)) == {"U-th", "8001", "U-gone", "browser"}
    assert line_api.multicast_counts() == Counter({"U-th": 1})
    assert telegram_api.delivered_counts() == Counter({8001: 1})


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (["--zone", "atlantis"], "unknown zone 'atlantis'"),
        (["--expires-in", "soon"], "not a duration"),
        (["--severity", "Apocalyptic"], "Invalid value for '--severity'"),
    ],
)
def test_alert_send_refuses_bad_input(cli_database, change, message):
    args = {
        "--hazard": "tsunami", "--severity": "Extreme", "--zone": "patong",
        "--headline-th": "ก", "--headline-en": "a", "--instruction-th": "ข", "--instruction-en": "b",
    }  # fmt: skip
    args.update(dict(zip(change[::2], change[1::2], strict=True)))
    result = CliRunner().invoke(main, ["alert", "send", *[part for pair in args.items() for part in pair]])

    assert result.exit_code == 2
    assert message in result.output
