"""Telling people about incidents: responders on every change, reporters on status changes.

Nothing here runs before the change is committed, and nothing here can delay a reply to the user:
notifications are sent in background tasks with retries; a failure is logged, never raised.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any, Protocol

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from actions.db.models import Incident, IncidentMessage, User, UserNotice
from actions.domain import MessageKind
from actions.i18n import Translator
from actions.places.geo import Point, map_link
from actions.replies import Reply

logger = logging.getLogger(__name__)

RETRY_DELAYS_S = (1.0, 3.0, 10.0)
# `incident_messages.direction`: from the reporter, to the reporter.
INBOUND = "in"
OUTBOUND = "out"


class ChannelSender(Protocol):
    """Pushes replies to one user (or a responder group) of one channel, outside any conversation."""

    async def push(self, to: str, replies: Sequence[Reply], language: str) -> None: ...


@dataclass(frozen=True, slots=True)
class ResponderTarget:
    channel: str
    to: str


@dataclass(frozen=True, slots=True)
class IncidentSnapshot:
    """What responders are told, read inside the transaction so the task needs no session."""

    reference: str
    incident_type: str
    status: str
    language: str
    channel: str
    text: str | None
    lat: float | None
    lon: float | None
    location_text: str | None
    rate_limited: bool = False

    @classmethod
    def of(cls, incident: Incident) -> IncidentSnapshot:
        return cls(
            reference=incident.reference,
            incident_type=incident.incident_type,
            status=incident.status,
            language=incident.language,
            channel=incident.channel,
            text=incident.raw_text,
            lat=incident.lat,
            lon=incident.lon,
            location_text=incident.location_text,
            rate_limited=bool(incident.rate_limited),
        )

    @property
    def map_url(self) -> str | None:
        if self.lat is None or self.lon is None:
            return None
        return map_link(Point(self.lat, self.lon))

    def as_json(self, event: str) -> dict[str, Any]:
        return {
            "event": event,
            "reference": self.reference,
            "incident_type": self.incident_type,
            "status": self.status,
            "language": self.language,
            "channel": self.channel,
            "text": self.text,
            "location": None if self.lat is None else {"lat": self.lat, "lon": self.lon},
            "location_text": self.location_text,
            "map_url": self.map_url,
            "rate_limited": self.rate_limited,
        }


@dataclass
class Notifier:
    translator: Translator
    sessions: async_sessionmaker[AsyncSession] | None = None
    senders: dict[str, ChannelSender] = field(default_factory=dict)
    responders: list[ResponderTarget] = field(default_factory=list)
    responder_webhook_url: str | None = None
    responder_language: str = "th"
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def register_sender(self, channel: str, sender: ChannelSender) -> None:
        self.senders[channel] = sender

    def _spawn(self, name: str, make: Callable[[], Awaitable[None]]) -> None:
        async def run() -> None:
            for attempt, delay in enumerate((*RETRY_DELAYS_S, None), start=1):
                try:
                    await make()
                    return
                except Exception as exc:
                    if delay is None:
                        logger.error("%s failed after %d attempts: %s", name, attempt, exc)
                        return
                    logger.warning("%s failed (%s); retrying in %.0f s", name, exc, delay)
                    await asyncio.sleep(delay)

        task = asyncio.get_running_loop().create_task(run(), name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Wait for every notification in flight (shutdown, tests)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    # Responders ---------------------------------------------------------------------------

    def incident_changed(self, incident: Incident, event: str) -> None:
        """Tell responders about a new incident or a change; call after the commit."""
        snapshot = IncidentSnapshot.of(incident)
        lang = self.responder_language
        t = self.translator
        location = snapshot.location_text or (
            f"{snapshot.lat:.5f}, {snapshot.lon:.5f}" if snapshot.lat is not None else None
        )
        values = {
            "reference": snapshot.reference,
            "type": t(lang, f"type.{snapshot.incident_type}"),
            "location": location or t(lang, "responder.location_unknown"),
            "map_url": snapshot.map_url or "-",
            "language": snapshot.language,
            "channel": snapshot.channel,
            "text": snapshot.text or "-",
        }
        if event == "created":
            text = t(lang, "responder.new", **values)
        else:
            status = t(lang, f"status.name.{snapshot.status}")
            label = t(lang, f"event.{event}", status=status, text="")
            text = t(lang, "responder.update", event=label, **values)
        for target in self.responders:
            sender = self.senders.get(target.channel)
            if sender is None:
                logger.warning("no %s sender for the responder chat; not notified", target.channel)
                continue
            self._spawn(
                f"responders:{target.channel}:{snapshot.reference}",
                partial(sender.push, target.to, [Reply(text=text)], lang),
            )
        if self.responder_webhook_url:
            url = self.responder_webhook_url
            payload = snapshot.as_json(event)
            self._spawn(f"responders:webhook:{snapshot.reference}", lambda: _post_json(url, payload))

    # Users ------------------------------------------------------------------------------

    def deliver_notices(self, user: User) -> None:
        """Push a user's pending notices where the channel can push; call after the commit.

        Channels that cannot push (the web chat) show them on the user's next turn instead.
        """
        sender = self.senders.get(user.channel)
        if sender is None or self.sessions is None:
            return
        sessions, user_id, to = self.sessions, user.id, user.channel_user_id

        async def push() -> None:
            async with sessions() as session:
                notices = await pending_notices(session, user_id)
                if not notices:
                    return
                language = (await session.get(User, user_id)).language or "en"  # type: ignore[union-attr]
                await sender.push(to, [Reply(text=n.text) for n in notices], language)
                now = datetime.now(UTC)
                for notice in notices:
                    notice.delivered_at = now
                await session.commit()

        self._spawn(f"notices:{user.channel}:{to}", push)


def add_notice(
    session: AsyncSession,
    user: User,
    text: str,
    now: datetime,
    *,
    incident: Incident | None = None,
    kind: MessageKind = MessageKind.NOTICE,
    actor: str = "bot",
    phrase_id: str | None = None,
) -> UserNotice:
    """Keep a message for a user in the same transaction as the change it reports.

    With `incident` it also joins that incident's conversation (what the console shows), linked to
    the notice so that the console can tell when it reached the reporter.
    """
    notice = UserNotice(user_id=user.id, text=text, created_at=now)
    session.add(notice)
    if incident is not None:
        session.add(
            IncidentMessage(
                incident_id=incident.id,
                direction=OUTBOUND,
                kind=kind.value,
                text=text,
                language=user.language or incident.language,
                phrase_id=phrase_id,
                actor=actor,
                notice=notice,
                created_at=now,
            )
        )
        incident.updated_at = now
    return notice


async def pending_notices(session: AsyncSession, user_id: int) -> list[UserNotice]:
    statement = (
        select(UserNotice)
        .where(UserNotice.user_id == user_id, UserNotice.delivered_at.is_(None))
        .order_by(UserNotice.id)
    )
    return list(await session.scalars(statement))


async def _post_json(url: str, payload: dict[str, Any]) -> None:
    async with httpx.AsyncClient(timeout=5.0) as client:
        response = await client.post(url, json=payload)
        response.raise_for_status()
