"""A `safety-bot worker` killed mid-broadcast and started again: every subscriber gets one copy.

The kill comes while the platforms hold work in flight: LINE has accepted every batch but its
answers have not reached the worker (the worker must send them again; LINE's retry key makes the
repeats no-ops), and Telegram requests are on their way but not yet accepted (they must be sent
again). Telegram messages that were accepted and recorded before the kill are not sent again.
"""

from __future__ import annotations

from collections import Counter

from actions.db.models import Delivery
from tests.broadcast.conftest import (
    Subscriber,
    add_subscribers,
    counts,
    delivered,
    deliveries,
    eventually,
    issue_alert,
    platform_settings,
)
from tests.workers import WorkerProcess

LINE_USERS = [Subscriber("line", f"U-th-{n:03d}", language="th") for n in range(600)] + [
    Subscriber("line", f"U-en-{n:03d}", language="en") for n in range(500)
]
TELEGRAM_CHATS = list(range(7000, 7060))
ACCEPTED_BEFORE_KILL = 20


def telegram_sent(rows: dict[str, Delivery]) -> int:
    return sum(1 for d in rows.values() if d.channel == "telegram" and d.status == "sent")


async def test_a_killed_worker_restarted_delivers_exactly_once(
    database_url, sessions, line_api, telegram_api, tmp_path
):
    await add_subscribers(
        sessions, LINE_USERS + [Subscriber("telegram", str(chat)) for chat in TELEGRAM_CHATS]
    )
    alert_id = await issue_alert(sessions)
    settings = platform_settings(
        database_url,
        line_api,
        telegram_api,
        delivery_claim_ttl_s=1.0,
        telegram_broadcast_rate=500.0,
        telegram_broadcast_concurrency=4,
    )
    line_api.multicast_responses.close()
    telegram_api.send_gate.close_after(ACCEPTED_BEFORE_KILL)

    first = WorkerProcess(settings, tmp_path / "worker.log")

    async def in_flight() -> bool:
        first.assert_alive()
        if len(line_api.multicasts) < 3 or line_api.multicast_responses.held < 3:
            return False
        if telegram_api.send_gate.held < 1:
            return False
        # The accepted Telegram messages are recorded as sent before the kill.
        return telegram_sent(await deliveries(sessions, alert_id)) == ACCEPTED_BEFORE_KILL

    await eventually(in_flight, what="LINE batches accepted, Telegram sends held")
    first.kill()

    async def noticed() -> bool:
        return line_api.multicast_responses.clients_gone() and telegram_api.send_gate.clients_gone()

    await eventually(noticed, what="the fakes saw the worker's connections close")
    line_api.multicast_responses.open()
    telegram_api.send_gate.open()

    before = await counts(sessions, alert_id)
    assert before.by_state["sent"] == ACCEPTED_BEFORE_KILL
    assert before.by_state["sending"] > 0
    assert len(telegram_api.delivered) == ACCEPTED_BEFORE_KILL

    second = WorkerProcess(settings, tmp_path / "worker.log")
    try:
        result = await delivered(sessions, alert_id)
    finally:
        assert await second.stop() == 0

    assert result.by_state["sent"] == len(LINE_USERS) + len(TELEGRAM_CHATS)
    assert line_api.multicast_counts() == Counter({s.channel_user_id: 1 for s in LINE_USERS})
    # The batches were sent again, each under its first retry key, and LINE refused the repeats.
    statuses = Counter(request.status for request in line_api.calls("multicast"))
    assert statuses == Counter({200: 3, 409: 3})
    assert telegram_api.delivered_counts() == Counter({chat: 1 for chat in TELEGRAM_CHATS})
