"""What the agency API's routes share: the database session, pages, area and time parameters."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import Depends, HTTPException, Query, Request, status
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from actions.alerts import Circle
from actions.places import Point, default_gazetteer

logger = logging.getLogger(__name__)

MAX_RADIUS_M = 100_000
_CIRCLE = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*,\s*(\d+(?:\.\d+)?)\s*$")


async def _db_session(request: Request) -> AsyncIterator[AsyncSession]:
    sessions: async_sessionmaker[AsyncSession] = request.app.state.sessions
    async with sessions() as session:
        yield session


DbSession = Annotated[AsyncSession, Depends(_db_session)]


def bad_request(message: str) -> HTTPException:
    return HTTPException(status_code=status.HTTP_400_BAD_REQUEST, detail=message)


def not_found(message: str) -> HTTPException:
    return HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail=message)


@dataclass(frozen=True, slots=True)
class AreaParam:
    """An `area` query parameter: a gazetteer id (then `area_id` is set) or a circle."""

    circle: Circle
    area_id: str | None


def parse_area(value: str) -> AreaParam:
    """``patong`` (a gazetteer id: its circle) or ``7.8961,98.2960,1500`` (lat,lon,radius_m)."""
    if match := _CIRCLE.match(value):
        lat, lon, radius = (float(group) for group in match.groups())
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise bad_request(f"area {value!r}: latitude or longitude out of range")
        if not 0 < radius <= MAX_RADIUS_M:
            raise bad_request(f"area {value!r}: radius_m must be between 1 and {MAX_RADIUS_M}")
        return AreaParam(Circle(Point(lat, lon), radius), None)
    area = default_gazetteer().get(value.strip().lower())
    if area is None:
        raise bad_request(
            f"unknown area {value!r}: give a gazetteer id such as 'patong', or 'lat,lon,radius_m'"
        )
    return AreaParam(Circle(area.point, area.radius_m), area.id)


def optional_area(
    area: Annotated[
        str | None,
        Query(
            description="A gazetteer id (`patong`, `kata`, ...) or `lat,lon,radius_m` (`7.89,98.29,1500`)."
        ),
    ] = None,
) -> AreaParam | None:
    return parse_area(area) if area else None


AreaQuery = Annotated[AreaParam | None, Depends(optional_area)]


def aware(value: datetime | None, name: str) -> datetime | None:
    """Times must say their zone: a bare 2025-01-01T10:00 would be read differently by every caller."""
    if value is not None and value.tzinfo is None:
        raise bad_request(f"{name} needs a time zone, e.g. 2025-01-31T10:00:00Z or 2025-01-31T17:00:00+07:00")
    return value


class Page(BaseModel):
    total: int
    limit: int
    offset: int


Limit = Annotated[int, Query(ge=1, le=500, description="At most this many (1-500).")]
# Ids and offsets beyond PostgreSQL's `integer` (and SQLite's 64 bits) are refused as malformed (400).
MAX_DATABASE_ID = 2**31 - 1
Offset = Annotated[int, Query(ge=0, le=MAX_DATABASE_ID, description="Skip this many first.")]
