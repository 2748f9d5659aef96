"""Places in the database: nearest-first search and all-or-nothing upserts."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from actions.db.models import Place
from actions.domain import CATEGORY_KINDS, PlaceCategory
from actions.places.geo import Point, distance_m
from actions.places.records import PlaceRecord

# Places further than this are not "nearby" for anybody on the island.
MAX_SEARCH_RADIUS_M = 80_000
_DEGREES_PER_METRE = 1 / 111_000


@dataclass(frozen=True, slots=True)
class NearbyPlace:
    place: Place
    distance_m: float

    @property
    def point(self) -> Point:
        return Point(self.place.lat, self.place.lon)

    def name(self, language: str) -> str:
        names = self.place.names
        return names.get(language) or names.get("en") or names.get("th") or self.place.external_id


async def nearest_places(
    session: AsyncSession,
    category: PlaceCategory,
    origin: Point,
    *,
    limit: int = 3,
    kinds: tuple[str, ...] | None = None,
) -> list[NearbyPlace]:
    """The `limit` nearest places of a category, nearest first."""
    wanted = kinds or tuple(CATEGORY_KINDS[category])
    box = MAX_SEARCH_RADIUS_M * _DEGREES_PER_METRE
    rows = await session.scalars(
        select(Place).where(
            Place.kind.in_(wanted),
            Place.lat.between(origin.lat - box, origin.lat + box),
        )
    )
    found = [NearbyPlace(place, distance_m(origin, Point(place.lat, place.lon))) for place in rows]
    found = [item for item in found if item.distance_m <= MAX_SEARCH_RADIUS_M]
    found.sort(key=lambda item: item.distance_m)
    return found[:limit]


async def count_places(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(Place)) or 0)


@dataclass(frozen=True, slots=True)
class ImportSummary:
    created: int
    updated: int


async def upsert_places(session: AsyncSession, records: list[PlaceRecord]) -> ImportSummary:
    """Insert new places and update known ones (by id); the caller commits or rolls back."""
    ids = [record.external_id for record in records]
    existing = {
        place.external_id: place
        for place in await session.scalars(select(Place).where(Place.external_id.in_(ids)))
    }
    created = updated = 0
    for record in records:
        values = record.model_dump(exclude={"external_id"})
        if place := existing.get(record.external_id):
            for key, value in values.items():
                setattr(place, key, value)
            updated += 1
        else:
            session.add(Place(external_id=record.external_id, **values))
            created += 1
    await session.flush()
    return ImportSummary(created=created, updated=updated)
