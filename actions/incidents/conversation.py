"""The conversation with an incident's reporter: every message in and out while it is open.

The dialogue records each turn of a reporter who has an open incident (what they sent and what
the bot answered); notices to the reporter (status changes, notes, responders' messages) are
recorded with the notice that carries them (`actions.notify.add_notice`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from actions.db.models import (
    ConversationState,
    Incident,
    IncidentAttachment,
    IncidentMessage,
    User,
    UserNotice,
)
from actions.domain import OPEN_STATUSES, MessageKind
from actions.notify import INBOUND, OUTBOUND
from actions.places.geo import Point


async def conversation_incident(
    session: AsyncSession, user: User, state: ConversationState
) -> Incident | None:
    """The open incident a user's messages belong to: the one of their SOS flow, else their latest."""
    if state.incident_id is not None:
        incident = await session.get(Incident, state.incident_id)
        if incident is not None and incident.status in OPEN_STATUSES:
            return incident
    statement = (
        select(Incident)
        .where(Incident.user_id == user.id, Incident.status.in_([s.value for s in OPEN_STATUSES]))
        .order_by(Incident.id.desc())
        .limit(1)
    )
    return await session.scalar(statement)


async def record_turn(
    session: AsyncSession,
    user: User,
    state: ConversationState,
    *,
    text: str | None,
    location: Point | None,
    photo: bool,
    replies: Sequence[str],
    language: str,
    now: datetime,
) -> Incident | None:
    """Keep one turn of a reporter with an open incident: their message and the bot's answers.

    Call after the turn's actions (so an SOS created by this very message counts), before the
    commit. Returns the incident the turn was recorded under, or None (no open incident).
    """
    incident = await conversation_incident(session, user, state)
    if incident is None:
        return None
    actor = f"{user.channel}:{user.channel_user_id}"
    if photo:
        await session.flush()
        attachment_id = await session.scalar(
            select(IncidentAttachment.id)
            .where(IncidentAttachment.incident_id == incident.id)
            .order_by(IncidentAttachment.id.desc())
            .limit(1)
        )
        inbound = IncidentMessage(kind=MessageKind.PHOTO.value, attachment_id=attachment_id)
    elif location is not None:
        inbound = IncidentMessage(
            kind=MessageKind.LOCATION.value, text=f"{location.lat:.5f}, {location.lon:.5f}"
        )
    else:
        inbound = IncidentMessage(kind=MessageKind.TEXT.value, text=text)
    inbound.incident_id, inbound.direction, inbound.actor = incident.id, INBOUND, actor
    inbound.language, inbound.created_at = language, now
    session.add(inbound)
    for reply in replies:
        session.add(
            IncidentMessage(
                incident_id=incident.id,
                direction=OUTBOUND,
                kind=MessageKind.REPLY.value,
                text=reply,
                language=language,
                actor="bot",
                created_at=now,
            )
        )
    incident.updated_at = now
    return incident


@dataclass(frozen=True, slots=True)
class ConversationEntry:
    message: IncidentMessage
    # When the notice carrying an outbound message reached the reporter (None: not yet, or a reply).
    delivered_at: datetime | None

    @property
    def inbound(self) -> bool:
        return self.message.direction == INBOUND


async def conversation(
    session: AsyncSession, incident: Incident, *, limit: int = 500
) -> list[ConversationEntry]:
    """The incident's conversation, oldest first (the last `limit` messages)."""
    statement = (
        select(IncidentMessage, UserNotice.delivered_at)
        .outerjoin(UserNotice, UserNotice.id == IncidentMessage.notice_id)
        .where(IncidentMessage.incident_id == incident.id)
        .order_by(IncidentMessage.id.desc())
        .limit(limit)
    )
    rows = list(await session.execute(statement))
    return [ConversationEntry(message, delivered_at) for message, delivered_at in reversed(rows)]
