"""The cap on new incidents per client and hour: beyond it, SOS reports join the latest open one.

Counted in the database (not in a process's memory), so the cap holds across every bot process.
A report beyond the cap is never dropped: it becomes an event of the client's latest open
incident. With no open incident to join, a new one is created even beyond the cap (a report must
always reach someone who looks at it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from actions.db.models import Incident
from actions.domain import OPEN_STATUSES

WINDOW = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class IncidentCap:
    """New incidents per hour: per user (web identity, LINE user, Telegram chat) and per web address."""

    per_user_per_hour: int = 5
    per_address_per_hour: int = 30


async def _recent(session: AsyncSession, condition: ColumnElement[bool], since: datetime) -> int:
    statement = select(func.count()).select_from(Incident).where(condition, Incident.created_at >= since)
    return int(await session.scalar(statement) or 0)


async def _latest_open(session: AsyncSession, condition: ColumnElement[bool]) -> Incident | None:
    statement = (
        select(Incident)
        .where(condition, Incident.status.in_([status.value for status in OPEN_STATUSES]))
        .order_by(Incident.id.desc())
        .limit(1)
    )
    return await session.scalar(statement)


async def incident_to_join(
    session: AsyncSession, *, user_id: int, client_key: str | None, now: datetime, cap: IncidentCap
) -> Incident | None:
    """The incident a new SOS report joins because its client is over the cap; None: create one."""
    since = now - WINDOW
    mine = Incident.user_id == user_id
    over = await _recent(session, mine, since) >= cap.per_user_per_hour
    from_address = Incident.client_key == client_key if client_key else None
    if not over and from_address is not None:
        over = await _recent(session, from_address, since) >= cap.per_address_per_hour
    if not over:
        return None
    # The user's own incident first; else the latest from the same address (the same person
    # without their cookie, or somebody on the same network and so close by).
    for condition in (mine, from_address):
        if condition is not None and (incident := await _latest_open(session, condition)) is not None:
            return incident
    return None
