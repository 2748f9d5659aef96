"""Live updates for the console: one poller per process reads what changed, SSE fans it out.

The bot may run as several processes, each with its own console clients, and an incident may be
written by any of them (or by a delivery worker elsewhere), so nothing relies on in-process
signals: while at least one browser listens, each process reads the database every
`CONSOLE_POLL_INTERVAL_S` for incidents created or changed (every event, message and claim
touches `incidents.updated_at`) and for delivery progress of recent alerts, and sends its own
clients small SSE events naming what changed; the pages then fetch the parts to redraw.

Events: ``queue`` (data ``{"new": [refs], "changed": [refs]}``), ``incident-<REF>`` (anything
about that incident), ``alert-<id>`` (its delivery counts changed), ``alerts`` (an alert was
issued, changed or awaits approval).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from actions.db.models import Alert, AlertApproval, Delivery, Incident

logger = logging.getLogger(__name__)

# A transaction stamps `updated_at` before it commits; rows are read again for this long after
# their stamp so that a slow commit is still seen (each change is announced once).
COMMIT_SLACK = timedelta(seconds=10)
# Alerts whose delivery progress is followed: changed within this long.
ALERT_WINDOW = timedelta(hours=6)
# Each browser's queue: a client this far behind is dropped (it reconnects and redraws).
CLIENT_BACKLOG = 256


@dataclass(frozen=True, slots=True)
class LiveEvent:
    name: str
    data: str

    def encode(self) -> str:
        return f"event: {self.name}\ndata: {self.data}\n\n"


@dataclass
class _Seen:
    """What the poller has announced, so that the overlapping reads announce each change once."""

    incidents: dict[tuple[int, datetime], datetime] = field(default_factory=dict)
    alerts: dict[int, tuple[datetime, tuple[tuple[str, str, int], ...]]] = field(default_factory=dict)
    approvals: int = 0

    def forget_before(self, horizon: datetime) -> None:
        self.incidents = {key: at for key, at in self.incidents.items() if at >= horizon}


class LiveHub:
    """The poller of one process and the SSE clients it feeds."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], *, interval_s: float) -> None:
        self._sessions = sessions
        self._interval_s = interval_s
        self._clients: set[asyncio.Queue[LiveEvent | None]] = set()
        self._task: asyncio.Task[None] | None = None
        self._seen = _Seen()
        self._since: datetime | None = None
        self._wake = asyncio.Event()

    @property
    def client_count(self) -> int:
        return len(self._clients)

    def subscribe(self) -> asyncio.Queue[LiveEvent | None]:
        queue: asyncio.Queue[LiveEvent | None] = asyncio.Queue(maxsize=CLIENT_BACKLOG)
        self._clients.add(queue)
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run(), name="console-live-poller")
        return queue

    def unsubscribe(self, queue: asyncio.Queue[LiveEvent | None]) -> None:
        self._clients.discard(queue)

    async def aclose(self) -> None:
        for queue in list(self._clients):
            with contextlib.suppress(asyncio.QueueFull):
                queue.put_nowait(None)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def publish(self, event: LiveEvent) -> None:
        for queue in list(self._clients):
            try:
                queue.put_nowait(event)
            except asyncio.QueueFull:
                logger.warning("console: a live client fell behind; dropping it (it will reconnect)")
                self._clients.discard(queue)

    async def _run(self) -> None:
        # Nothing is announced about the time before the first browser connected: it loads the page.
        self._since = datetime.now(UTC) - COMMIT_SLACK
        while self._clients:
            try:
                await self.poll()
            except Exception:
                logger.exception("console: live poll failed; trying again")
            await asyncio.sleep(self._interval_s)
        self._task = None

    async def poll(self) -> None:
        """Read what changed since the last poll and tell the clients."""
        now = datetime.now(UTC)
        since = self._since or now - COMMIT_SLACK
        async with self._sessions() as session:
            await self._poll_incidents(session, since)
            await self._poll_alerts(session, now)
        self._since = now - COMMIT_SLACK
        self._seen.forget_before(now - 2 * COMMIT_SLACK)

    async def _poll_incidents(self, session: AsyncSession, since: datetime) -> None:
        statement = (
            select(Incident.id, Incident.reference, Incident.created_at, Incident.updated_at)
            .where(Incident.updated_at >= since)
            .order_by(Incident.updated_at)
        )
        new: list[str] = []
        changed: list[str] = []
        for incident_id, reference, created_at, updated_at in await session.execute(statement):
            key = (incident_id, updated_at)
            if key in self._seen.incidents:
                continue
            first_sight = not any(seen_id == incident_id for seen_id, _ in self._seen.incidents)
            self._seen.incidents[key] = updated_at
            if first_sight and created_at >= since:
                new.append(reference)
            else:
                changed.append(reference)
        if new or changed:
            self.publish(LiveEvent("queue", json.dumps({"new": new, "changed": changed})))
            for reference in dict.fromkeys(new + changed):
                self.publish(LiveEvent(f"incident-{reference}", json.dumps({"reference": reference})))

    async def _poll_alerts(self, session: AsyncSession, now: datetime) -> None:
        recent = await session.execute(
            select(Alert.id, Alert.updated_at).where(Alert.updated_at >= now - ALERT_WINDOW)
        )
        alerts_changed = False
        for alert_id, updated_at in recent:
            previous = self._seen.alerts.get(alert_id)
            if previous is not None and previous[0] == updated_at and _done(previous[1]):
                continue
            rows = await session.execute(
                select(Delivery.channel, Delivery.status, func.count())
                .where(Delivery.alert_id == alert_id)
                .group_by(Delivery.channel, Delivery.status)
            )
            counts = tuple(sorted((channel, state, int(count)) for channel, state, count in rows))
            self._seen.alerts[alert_id] = (updated_at, counts)
            if previous is None or previous != (updated_at, counts):
                alerts_changed = alerts_changed or previous is None or previous[0] != updated_at
                self.publish(LiveEvent(f"alert-{alert_id}", json.dumps({"alert_id": alert_id})))
        pending = int(
            await session.scalar(
                select(func.count()).select_from(AlertApproval).where(AlertApproval.status == "pending")
            )
            or 0
        )
        if alerts_changed or pending != self._seen.approvals:
            self._seen.approvals = pending
            self.publish(LiveEvent("alerts", json.dumps({"pending_approvals": pending})))


def _done(counts: tuple[tuple[str, str, int], ...]) -> bool:
    return not any(state in {"pending", "sending"} and count for _, state, count in counts)


# An SSE response ends after this long and the browser reconnects at once (`retry`): a server
# shutting down never waits longer than this for its open streams.
STREAM_LIFETIME_S = 25.0
KEEPALIVE_S = 10.0
RECONNECT_MS = 500


async def event_stream(hub: LiveHub, *, lifetime_s: float = STREAM_LIFETIME_S) -> AsyncIterator[str]:
    """The SSE body for one browser: events as they come, a comment now and then to keep it open."""
    queue = hub.subscribe()
    deadline = time.monotonic() + lifetime_s
    try:
        yield f"retry: {RECONNECT_MS}\n: connected\n\n"
        while (left := deadline - time.monotonic()) > 0:
            try:
                event = await asyncio.wait_for(queue.get(), timeout=min(KEEPALIVE_S, left))
            except TimeoutError:
                yield ": keep-alive\n\n"
                continue
            if event is None:
                return
            yield event.encode()
    finally:
        hub.unsubscribe(queue)


@contextlib.asynccontextmanager
async def open_live_hub(
    sessions: async_sessionmaker[AsyncSession], interval_s: float
) -> AsyncIterator[LiveHub]:
    hub = LiveHub(sessions, interval_s=interval_s)
    try:
        yield hub
    finally:
        await hub.aclose()
