"""Finding incidents for the agencies: filters, newest first, pages; one incident with its photos."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defer, selectinload

from actions.db.models import Incident, IncidentAttachment
from actions.domain import IncidentStatus, IncidentType
from actions.places.spatial import within_circle

if TYPE_CHECKING:
    # Only a type here: importing actions.alerts at run time would be circular (it needs places).
    from actions.alerts import Circle


@dataclass(frozen=True, slots=True)
class IncidentFilter:
    """Which incidents: any of `statuses`, any of `types`, within `area`, created in [since, until)."""

    statuses: Sequence[IncidentStatus] = ()
    types: Sequence[IncidentType] = ()
    area: Circle | None = None
    located_only: bool = False
    since: datetime | None = None
    until: datetime | None = None

    def conditions(self) -> list[ColumnElement[bool]]:
        conditions: list[ColumnElement[bool]] = []
        if self.statuses:
            conditions.append(Incident.status.in_([s.value for s in self.statuses]))
        if self.types:
            conditions.append(Incident.incident_type.in_([t.value for t in self.types]))
        if self.area is not None:
            conditions.append(within_circle(Incident.lat, Incident.lon, self.area))
        if self.located_only:
            conditions.extend([Incident.lat.isnot(None), Incident.lon.isnot(None)])
        if self.since is not None:
            conditions.append(Incident.created_at >= self.since)
        if self.until is not None:
            conditions.append(Incident.created_at < self.until)
        return conditions


@dataclass(frozen=True, slots=True)
class IncidentPage:
    incidents: list[Incident]
    total: int


async def search_incidents(
    session: AsyncSession, where: IncidentFilter, *, limit: int, offset: int = 0
) -> IncidentPage:
    """One page of the matching incidents, newest first, and how many match in all."""
    conditions = where.conditions()
    total = await session.scalar(select(func.count()).select_from(Incident).where(*conditions))
    statement = (
        select(Incident)
        .where(*conditions)
        .order_by(Incident.created_at.desc(), Incident.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return IncidentPage(list(await session.scalars(statement)), int(total or 0))


async def incident_by_reference(
    session: AsyncSession, reference: str, *, for_update: bool = False
) -> Incident | None:
    """The incident with its events; `for_update` locks its row (PostgreSQL) against a racing change."""
    statement = select(Incident).where(Incident.reference == reference).options(selectinload(Incident.events))
    if for_update:
        statement = statement.with_for_update(of=Incident)
    # Re-read even an incident already in the session: its events may have grown since.
    return await session.scalar(statement.execution_options(populate_existing=True))


async def photos_of(session: AsyncSession, incident: Incident) -> list[IncidentAttachment]:
    """The incident's attachments without their bytes (those are fetched one at a time)."""
    statement = (
        select(IncidentAttachment)
        .where(IncidentAttachment.incident_id == incident.id)
        .options(defer(IncidentAttachment.data, raiseload=True))
        .order_by(IncidentAttachment.id)
    )
    return list(await session.scalars(statement))


async def photo_of(session: AsyncSession, reference: str, photo_id: int) -> IncidentAttachment | None:
    """One attachment with its bytes, only if it belongs to the incident `reference`."""
    statement = (
        select(IncidentAttachment)
        .join(Incident, Incident.id == IncidentAttachment.incident_id)
        .where(Incident.reference == reference, IncidentAttachment.id == photo_id)
    )
    return await session.scalar(statement)
