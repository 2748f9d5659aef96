"""Listing places for the agencies: by kind and area, in pages; one place by its id."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from actions.db.models import Place
from actions.domain import PlaceKind
from actions.places.spatial import within_circle

if TYPE_CHECKING:
    # Only a type here: importing actions.alerts at run time would be circular (it needs places).
    from actions.alerts import Circle


@dataclass(frozen=True, slots=True)
class PlacePage:
    places: list[Place]
    total: int


async def search_places(
    session: AsyncSession,
    *,
    kinds: Sequence[PlaceKind] = (),
    area: Circle | None = None,
    area_id: str | None = None,
    limit: int,
    offset: int = 0,
) -> PlacePage:
    """One page of the places of any of `kinds` within `area`, by id, and how many match in all.

    With `area_id` (a gazetteer id) a place tagged with that area matches too, wherever it lies.
    """
    conditions: list[ColumnElement[bool]] = []
    if kinds:
        conditions.append(Place.kind.in_([kind.value for kind in kinds]))
    if area is not None:
        inside = within_circle(Place.lat, Place.lon, area)
        conditions.append(or_(inside, Place.area == area_id) if area_id else inside)
    total = await session.scalar(select(func.count()).select_from(Place).where(*conditions))
    statement = select(Place).where(*conditions).order_by(Place.external_id).limit(limit).offset(offset)
    return PlacePage(list(await session.scalars(statement)), int(total or 0))


async def place_by_id(session: AsyncSession, external_id: str) -> Place | None:
    return await session.scalar(select(Place).where(Place.external_id == external_id))
