"""The delivery worker against the fake LINE and Telegram APIs, through the platforms' SDKs."""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict

import pytest
from sqlalchemy import select

from actions.alerts.service import cancel_alert
from actions.db.base import utcnow
from actions.db.models import Alert, User
from tests.broadcast.conftest import (
    Subscriber,
    add_subscribers,
    delivered,
    deliveries,
    issue_alert,
    platform_settings,
    running_worker,
)
from tests.fakes.telegram_api import too_many_requests

# PTB 22 itself reads RetryAfter.retry_after in the old (int) form.
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


async def test_each_subscriber_gets_the_alert_in_their_language(
    database_url, sessions, line_api, telegram_api
):
    await add_subscribers(
        sessions,
        [
            Subscriber("line", "U-thai", language="th", zone="patong"),
            Subscriber("telegram", "2001", language="en", zone="patong"),
            # No German text in the alert: the English one, under a German heading.
            Subscriber("line", "U-german", language="de", zone="patong"),
            Subscriber("line", "U-kata", language="th", zone="kata"),
        ],
    )
    alert_id = await issue_alert(sessions, zones=["patong"])

    async with running_worker(platform_settings(database_url, line_api, telegram_api), sessions):
        result = await delivered(sessions, alert_id)

    assert result.by_state["sent"] == 3
    by_user = {user_id: messages for _, to, messages in line_api.multicasts for user_id in to}
    thai = by_user["U-thai"][0]["text"]
    assert "คำเตือนสึนามิ" in thai and "อพยพขึ้นที่สูงทันที" in thai and "Tsunami warning" not in thai
    # No German text in the alert: hazard, severity, urgency and the standard tsunami instruction
    # in German, and the English headline marked as the original.
    german = by_user["U-german"][0]["text"]
    assert german.startswith("🔴 Tsunami – extrem, sofort handeln")
    assert "Verlassen Sie sofort den Strand" in german
    assert "Original (Englisch): Tsunami warning" in german
    assert "Move to high ground now" not in german
    assert "U-kata" not in by_user
    [telegram] = telegram_api.sent(2001)
    assert "Tsunami warning" in telegram["text"] and "Move to high ground now" in telegram["text"]
    assert "คำเตือน" not in telegram["text"]


async def test_line_multicasts_at_most_500_users_per_language_with_a_retry_key(
    database_url, sessions, line_api, telegram_api
):
    subscribers = [Subscriber("line", f"U-th-{n:04d}", language="th") for n in range(1201)]
    subscribers += [Subscriber("line", f"U-en-{n:04d}", language="en") for n in range(1201)]
    await add_subscribers(sessions, subscribers)
    alert_id = await issue_alert(sessions)

    async with running_worker(platform_settings(database_url, line_api, telegram_api), sessions):
        result = await delivered(sessions, alert_id)

    assert result.by_state["sent"] == 2402
    calls = [request for request in line_api.calls("multicast") if request.status == 200]
    sizes: dict[str, list[int]] = defaultdict(list)
    for request in calls:
        language = "th" if "คำเตือน" in request.data["messages"][0]["text"] else "en"
        assert {user_id[2:4] for user_id in request.data["to"]} == {language}
        sizes[language].append(len(request.data["to"]))
    assert {language: sorted(n) for language, n in sizes.items()} == {
        "th": [201, 500, 500],
        "en": [201, 500, 500],
    }
    keys = [request.headers["X-Line-Retry-Key"] for request in calls]
    assert len(set(keys)) == 6
    assert all(uuid.UUID(key) for key in keys)
    assert line_api.multicast_counts() == Counter({s.channel_user_id: 1 for s in subscribers})


async def test_telegram_429_pauses_every_send_for_retry_after(database_url, sessions, line_api, telegram_api):
    chats = [3001, 3002, 3003]
    await add_subscribers(sessions, [Subscriber("telegram", str(chat)) for chat in chats])
    telegram_api.fail_next("sendMessage", 429, too_many_requests(1))
    alert_id = await issue_alert(sessions)
    settings = platform_settings(database_url, line_api, telegram_api, telegram_broadcast_concurrency=1)

    async with running_worker(settings, sessions):
        result = await delivered(sessions, alert_id)

    assert result.by_state["sent"] == 3
    assert telegram_api.delivered_counts() == Counter({chat: 1 for chat in chats})
    calls = telegram_api.calls("sendMessage")
    assert [request.status for request in calls] == [429, 200, 200, 200]
    # Nothing was sent while Telegram's retry_after (1 s) ran.
    assert calls[1].at - calls[0].at >= 0.99


async def test_a_send_that_keeps_failing_ends_failed_after_the_allowed_attempts(
    database_url, sessions, line_api, telegram_api
):
    await add_subscribers(sessions, [Subscriber("telegram", "4001")])
    error = {"ok": False, "error_code": 500, "description": "Internal Server Error"}
    telegram_api.fail_next("sendMessage", 500, error, times=10)
    alert_id = await issue_alert(sessions)
    settings = platform_settings(database_url, line_api, telegram_api, delivery_max_attempts=3)

    async with running_worker(settings, sessions):
        result = await delivered(sessions, alert_id)

    assert result.by_state["failed"] == 1
    delivery = (await deliveries(sessions, alert_id))["4001"]
    assert delivery.attempts == 3
    assert delivery.last_error is not None and "Internal Server Error" in delivery.last_error
    assert "attempt 3 of 3" in delivery.last_error
    assert len(telegram_api.calls("sendMessage")) == 3
    assert telegram_api.delivered == []


async def test_a_transient_line_failure_is_retried_with_the_same_retry_key(
    database_url, sessions, line_api, telegram_api
):
    await add_subscribers(sessions, [Subscriber("line", "U-1"), Subscriber("line", "U-2")])
    line_api.fail_next("multicast", 500, {"message": "Internal server error"})
    alert_id = await issue_alert(sessions)

    async with running_worker(platform_settings(database_url, line_api, telegram_api), sessions):
        result = await delivered(sessions, alert_id)

    assert result.by_state["sent"] == 2
    first, second = line_api.calls("multicast")
    assert (first.status, second.status) == (500, 200)
    assert first.headers["X-Line-Retry-Key"] == second.headers["X-Line-Retry-Key"]
    assert all(d.attempts == 2 for d in (await deliveries(sessions, alert_id)).values())


async def test_a_refused_line_batch_fails_at_once(database_url, sessions, line_api, telegram_api):
    await add_subscribers(sessions, [Subscriber("line", "U-1")])
    line_api.fail_next("multicast", 400, {"message": "The request body has 1 error(s)"})
    alert_id = await issue_alert(sessions)

    async with running_worker(platform_settings(database_url, line_api, telegram_api), sessions):
        result = await delivered(sessions, alert_id)

    assert result.by_state["failed"] == 1
    delivery = (await deliveries(sessions, alert_id))["U-1"]
    assert delivery.attempts == 1
    assert delivery.last_error is not None and delivery.last_error.startswith("LINE 400")


async def test_a_user_who_blocked_the_telegram_bot_is_skipped_and_marked_unreachable(
    database_url, sessions, line_api, telegram_api
):
    await add_subscribers(sessions, [Subscriber("telegram", "5001"), Subscriber("telegram", "5002")])
    telegram_api.blocked.add(5001)
    alert_id = await issue_alert(sessions)

    async with running_worker(platform_settings(database_url, line_api, telegram_api), sessions):
        result = await delivered(sessions, alert_id)

    assert (result.by_state["sent"], result.by_state["skipped"]) == (1, 1)
    blocked = (await deliveries(sessions, alert_id))["5001"]
    assert blocked.status == "skipped" and "blocked by the user" in (blocked.last_error or "")
    async with sessions() as session:
        user = await session.scalar(select(User).where(User.channel_user_id == "5001"))
        assert user is not None and user.reachable is False
    assert telegram_api.delivered == [5002]


async def test_a_cancelled_alert_is_not_sent(database_url, sessions, line_api, telegram_api):
    await add_subscribers(sessions, [Subscriber("line", "U-1"), Subscriber("telegram", "6001")])
    alert_id = await issue_alert(sessions)
    async with sessions() as session:
        alert = await session.get(Alert, alert_id)
        assert alert is not None
        await cancel_alert(session, alert, actor="test", now=utcnow())
        await session.commit()

    async with running_worker(platform_settings(database_url, line_api, telegram_api), sessions):
        result = await delivered(sessions, alert_id)

    assert result.by_state["skipped"] == 2
    assert line_api.multicasts == [] and telegram_api.delivered == []


async def test_two_workers_share_a_broadcast_without_overlap(database_url, sessions, line_api, telegram_api):
    line_users = [Subscriber("line", f"U-{n:04d}", language=("th", "en")[n % 2]) for n in range(1500)]
    chats = list(range(9000, 9300))
    await add_subscribers(sessions, [*line_users, *(Subscriber("telegram", str(chat)) for chat in chats)])
    alert_id = await issue_alert(sessions)
    settings = platform_settings(database_url, line_api, telegram_api, telegram_broadcast_rate=1000.0)

    async with running_worker(settings, sessions) as one, running_worker(settings, sessions) as two:
        result = await delivered(sessions, alert_id)

    assert result.by_state["sent"] == 1800
    assert line_api.multicast_counts() == Counter({s.channel_user_id: 1 for s in line_users})
    assert telegram_api.delivered_counts() == Counter({chat: 1 for chat in chats})
    workers = {d.claimed_by for d in (await deliveries(sessions, alert_id)).values()}
    assert workers <= {one.worker_id, two.worker_id}
