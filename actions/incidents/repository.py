"""Incidents and their events: every change is committed by the caller before anyone is told."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from actions.db.models import Incident, IncidentEvent, User
from actions.domain import EventKind, IncidentStatus, IncidentType
from actions.incidents.references import new_reference

logger = logging.getLogger(__name__)

_REFERENCE_ATTEMPTS = 8


async def create_incident(
    session: AsyncSession,
    *,
    user: User,
    incident_type: IncidentType,
    language: str,
    raw_text: str | None,
    now: datetime,
    actor: str,
    rate_limited: bool = False,
    client_key: str | None = None,
) -> Incident:
    """Insert a new incident with a unique reference and its `created` event (flushed, not committed)."""
    for _ in range(_REFERENCE_ATTEMPTS):
        incident = Incident(
            reference=new_reference(),
            user_id=user.id,
            channel=user.channel,
            incident_type=incident_type.value,
            status=IncidentStatus.NEW.value,
            language=language,
            raw_text=raw_text,
            rate_limited=rate_limited,
            client_key=client_key,
            created_at=now,
            updated_at=now,
        )
        try:
            async with session.begin_nested():
                session.add(incident)
                await session.flush()
        except IntegrityError:
            logger.warning("incident reference %s taken; drawing another", incident.reference)
            continue
        await add_event(
            session,
            incident,
            EventKind.CREATED,
            actor=actor,
            text=raw_text,
            now=now,
            data={"incident_type": incident_type.value},
        )
        return incident
    raise RuntimeError("could not draw a free incident reference")


async def add_event(
    session: AsyncSession,
    incident: Incident,
    kind: EventKind,
    *,
    actor: str,
    now: datetime,
    text: str | None = None,
    data: dict[str, Any] | None = None,
) -> IncidentEvent:
    event = IncidentEvent(
        incident_id=incident.id,
        kind=kind.value,
        actor=actor,
        text=text,
        data=data or {},
        created_at=now,
    )
    session.add(event)
    incident.updated_at = now
    await session.flush()
    return event


async def get_incident(session: AsyncSession, incident_id: int) -> Incident | None:
    return await session.scalar(
        select(Incident).where(Incident.id == incident_id).options(selectinload(Incident.events))
    )
