"""Live updates: the per-process poller sees what any process wrote and tells its SSE clients."""

from __future__ import annotations

import asyncio
import json

from actions.api_keys import Role
from bot.console.live import LiveHub, event_stream
from tests.console.conftest import Console, report_sos


async def _next(queue: asyncio.Queue, name: str) -> dict:  # type: ignore[type-arg]
    while True:
        event = await asyncio.wait_for(queue.get(), timeout=5)
        assert event is not None
        if event.name == name:
            return dict(json.loads(event.data))


async def test_a_new_sos_and_a_change_are_announced_once(console: Console) -> None:
    # A hub of its own, as another process would have: it only reads the database.
    hub = LiveHub(console.app.state.sessions, interval_s=0.1)
    queue = hub.subscribe()
    try:
        reference = await report_sos(console.reporter(), "help! drowning at Patong beach")
        assert await _next(queue, "queue") == {"new": [reference], "changed": []}
        assert await _next(queue, f"incident-{reference}") == {"reference": reference}
        operator = await console.signed_in("somchai", Role.OPERATOR)
        await operator.post(f"/console/incidents/{reference}/claim")
        assert await _next(queue, "queue") == {"new": [], "changed": [reference]}
        await asyncio.sleep(0.5)
        leftovers = [queue.get_nowait() for _ in range(queue.qsize())]
        assert [e for e in leftovers if e is not None and e.name == "queue"] == [], "announced once"
    finally:
        hub.unsubscribe(queue)
        await hub.aclose()


async def test_the_stream_speaks_server_sent_events() -> None:
    class Quiet(LiveHub):
        async def poll(self) -> None:
            return None

    hub = Quiet(None, interval_s=10)  # type: ignore[arg-type]
    stream = event_stream(hub, lifetime_s=5)
    assert (await anext(stream)).startswith("retry: ")
    from bot.console.live import LiveEvent

    hub.publish(LiveEvent("queue", '{"new": ["PKT-2345"], "changed": []}'))
    assert await anext(stream) == 'event: queue\ndata: {"new": ["PKT-2345"], "changed": []}\n\n'
    await stream.aclose()
    assert hub.client_count == 0
    await hub.aclose()
