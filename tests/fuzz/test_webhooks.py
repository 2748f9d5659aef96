"""The LINE and Telegram webhooks fuzzed with correctly signed bodies that are not what they should be.

Malformed bytes, truncated JSON, oversized bodies, and real events with a field replaced by a value
of another type (or removed), all signed with the right secret so that they get past the signature
check: the answer is 200 or a 4xx, never a 5xx, and the database holds nothing half-written.
Hypothesis generates the bodies (derandomized: the same cases every run).
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Callable
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from actions.db.models import InboundMessage, Incident
from tests.bot.channels.conftest import (
    TELEGRAM_SECRET,
    line_event,
    line_message,
    line_settings,
    line_signature,
    telegram_message,
    telegram_settings,
)
from tests.bot.conftest import running_app

EXAMPLES = 250
MAX_BODY = 16 * 1024
SOS = "HELP!! my friend is drowning"

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*prefix, index))
    return found


def _replace(document: Any, path: tuple[Any, ...], value: Any, *, remove: bool) -> Any:
    copy = json.loads(json.dumps(document))
    parent = copy
    for step in path[:-1]:
        parent = parent[step]
    if remove and isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return copy


@st.composite
def broken_bodies(draw: st.DrawFn, valid: st.SearchStrategy[Any]) -> tuple[str, bytes]:
    """(what kind of body, the body) from a strategy of valid payloads."""
    kind = draw(st.sampled_from(["valid", "retyped", "retyped", "truncated", "garbage", "oversized"]))
    if kind == "garbage":
        return kind, draw(st.binary(max_size=300))
    if kind == "oversized":
        return kind, b'{"events": ["' + b"x" * (MAX_BODY + draw(st.integers(1, 4096))) + b'"]}'
    document = draw(valid)
    if kind == "retyped":
        path = draw(st.sampled_from(_paths(document)))
        document = _replace(document, path, draw(json_values), remove=draw(st.booleans()))
    body = json.dumps(document).encode()
    if kind == "truncated":
        body = body[: draw(st.integers(0, len(body) - 1))]
    return kind, body


line_contents = st.one_of(
    st.builds(lambda text: {"type": "text", "text": text}, st.text(max_size=60) | st.just(SOS)),
    st.builds(
        lambda lat, lon: {"type": "location", "title": "", "address": "", "latitude": lat, "longitude": lon},
        st.floats(-200, 200),
        st.floats(-200, 200),
    ),
    st.just({"type": "sticker", "packageId": "1", "stickerId": "1", "stickerResourceType": "STATIC"}),
    st.just({"type": "image", "contentProvider": {"type": "external", "originalContentUrl": "https://x"}}),
)
line_events = st.one_of(
    st.builds(
        lambda user, content: line_message(user, "token", content),
        st.sampled_from(["U1", "U2"]),
        line_contents,
    ),
    st.builds(
        lambda data: line_event("postback", "U3", reply_token="t", postback={"data": data}),
        st.text(max_size=30),
    ),
    st.just(line_event("follow", "U4", reply_token="t")),
    st.just(line_event("unfollow", "U4")),
    st.just(line_event("videoPlayComplete", "U5", reply_token="t", videoPlayComplete={"trackingId": "x"})),
)
line_payloads = st.builds(
    lambda events: {"destination": "Ubot", "events": events}, st.lists(line_events, max_size=3)
)

telegram_updates = st.one_of(
    st.builds(
        lambda chat, text: telegram_message(chat, text=text),
        st.sampled_from([11, 12]),
        st.text(max_size=60) | st.just(SOS),
    ),
    st.builds(
        lambda lat, lon: telegram_message(13, location={"latitude": lat, "longitude": lon}),
        st.floats(-200, 200),
        st.floats(-200, 200),
    ),
    st.just(telegram_message(14, text="/sos", entities=[{"type": "bot_command", "offset": 0, "length": 4}])),
    st.builds(
        lambda data: {
            "update_id": 77,
            "callback_query": {
                "id": "q1",
                "from": {"id": 15, "is_bot": False, "first_name": "T"},
                "chat_instance": "c",
                "data": data,
                "message": {"message_id": 1, "date": 0, "chat": {"id": 15, "type": "private"}},
            },
        },
        st.text(max_size=30),
    ),
)


def _fuzz(
    post: Callable[[bytes], int], valid: st.SearchStrategy[Any], statuses: Counter[tuple[str, int]]
) -> None:
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(broken_bodies(valid))
    def run(case: tuple[str, bytes]) -> None:
        kind, body = case
        status = post(body)
        statuses[(kind, status)] += 1
        assert status == 200 or 400 <= status < 500, (kind, status, body[:300])

    run()


async def _nothing_half_written(app: Any) -> tuple[int, int]:
    async with app.state.sessions() as session:
        unanswered = await session.scalar(
            select(func.count()).select_from(InboundMessage).where(InboundMessage.response.is_(None))
        )
        incidents = list(await session.scalars(select(Incident).options(selectinload(Incident.events))))
    assert unanswered == 0
    assert all(incident.events and incident.events[0].kind == "created" for incident in incidents)
    return len(incidents), int(await _count(app, InboundMessage))


async def _count(app: Any, model: Any) -> int:
    async with app.state.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


def _summary(
    name: str, database_url: str, statuses: Counter[tuple[str, int]], recorded: tuple[int, int]
) -> str:
    by_status = Counter(status for (_, status) in statuses.elements())
    server_errors = sum(count for status, count in by_status.items() if status >= 500)
    backend = database_url.split("+")[0]
    return (
        f"{name} webhook ({backend}): {sum(by_status.values())} cases, {server_errors} server errors; "
        f"answers {dict(sorted(by_status.items()))}; recorded {recorded[0]} incidents, {recorded[1]} messages"
    )


async def test_line_webhook_fuzz(database_url, dead_nlu_url, line_api, fuzz_summary):
    settings_ = line_settings(database_url, dead_nlu_url, line_api, max_request_bytes=MAX_BODY)
    statuses: Counter[tuple[str, int]] = Counter()
    async with running_app(settings_) as (app, client):
        loop = asyncio.get_running_loop()

        def post(body: bytes) -> int:
            request = client.post(
                "/webhooks/line", content=body, headers={"X-Line-Signature": line_signature(body)}
            )
            response: httpx.Response = asyncio.run_coroutine_threadsafe(request, loop).result(timeout=60)
            return response.status_code

        await asyncio.to_thread(_fuzz, post, line_payloads, statuses)
        await app.state.messengers.drain()
        recorded = await _nothing_half_written(app)
        # Still fine afterwards: a real SOS is recorded.
        body = json.dumps(
            {"destination": "Ubot", "events": [line_message("U-after", "tok", {"type": "text", "text": SOS})]}
        ).encode()
        after = await client.post(
            "/webhooks/line", content=body, headers={"X-Line-Signature": line_signature(body)}
        )
        incidents_after = await _count(app, Incident)
    fuzz_summary(_summary("LINE", database_url, statuses, recorded))
    assert after.status_code == 200 and incidents_after == recorded[0] + 1
    assert {kind for kind, _ in statuses} == {"valid", "retyped", "truncated", "garbage", "oversized"}
    assert statuses[("oversized", 413)] == sum(n for (kind, _), n in statuses.items() if kind == "oversized")


async def test_telegram_webhook_fuzz(database_url, dead_nlu_url, telegram_api, fuzz_summary):
    settings_ = telegram_settings(database_url, dead_nlu_url, telegram_api, max_request_bytes=MAX_BODY)
    statuses: Counter[tuple[str, int]] = Counter()
    headers = {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET, "content-type": "application/json"}
    async with running_app(settings_) as (app, client):
        assert await app.state.messengers.telegram.wait_ready(10)
        loop = asyncio.get_running_loop()

        def post(body: bytes) -> int:
            request = client.post("/webhooks/telegram", content=body, headers=headers)
            response: httpx.Response = asyncio.run_coroutine_threadsafe(request, loop).result(timeout=60)
            return response.status_code

        await asyncio.to_thread(_fuzz, post, telegram_updates, statuses)
        await app.state.messengers.drain()
        recorded = await _nothing_half_written(app)
        after = await client.post("/webhooks/telegram", json=telegram_message(99, text=SOS), headers=headers)
        incidents_after = await _count(app, Incident)
    fuzz_summary(_summary("Telegram", database_url, statuses, recorded))
    assert after.status_code == 200 and incidents_after == recorded[0] + 1
    assert {kind for kind, _ in statuses} == {"valid", "retyped", "truncated", "garbage", "oversized"}
