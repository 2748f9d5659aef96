"""The live incident queue and map, their filters, the map's own GeoJSON, and the SSE stream."""

from __future__ import annotations

import dataclasses
import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import Request
from fastapi.responses import FileResponse, StreamingResponse
from sqlalchemy import select
from starlette.datastructures import QueryParams
from starlette.responses import Response

from actions.alerts import Circle
from actions.db.models import ConsoleUser, Incident
from actions.domain import OPEN_STATUSES, IncidentStatus, IncidentType
from actions.incidents import IncidentFilter, search_incidents
from actions.places import default_gazetteer
from actions.places.gazetteer import DEFAULT_GAZETTEER
from bot.console.auth import Signed, sessions_of
from bot.console.live import LiveHub, event_stream
from bot.console.routing import console_router
from bot.console.templating import render

logger = logging.getLogger(__name__)

router = console_router()

QUEUE_ROWS = 100
MAP_POINTS = 2000
AGES: dict[str, timedelta | None] = {
    "1h": timedelta(hours=1),
    "6h": timedelta(hours=6),
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
    "all": None,
}
# Incidents this young are highlighted in the queue.
FRESH = timedelta(minutes=5)
PHUKET_OUTLINE = DEFAULT_GAZETTEER.parent / "phuket-outline.geojson"
GEO_FILES = {"areas": DEFAULT_GAZETTEER, "phuket-outline": PHUKET_OUTLINE}


_STATUS_VALUES = frozenset(s.value for s in IncidentStatus)
_TYPE_VALUES = frozenset(t.value for t in IncidentType)


@dataclass(frozen=True, slots=True)
class QueueFilters:
    """The queue's and the map's filters, as the filter form sends them (unknown values ignored)."""

    statuses: tuple[IncidentStatus, ...] = tuple(sorted(OPEN_STATUSES))
    types: tuple[IncidentType, ...] = ()
    area: str = ""
    age: str = "all"

    @classmethod
    def parse(cls, params: QueryParams) -> QueueFilters:
        if "f" not in params:  # the first visit: what needs doing
            return cls()
        statuses = tuple(IncidentStatus(s) for s in params.getlist("status") if s in _STATUS_VALUES)
        types = tuple(IncidentType(t) for t in params.getlist("type") if t in _TYPE_VALUES)
        area = params.get("area", "")
        age = params.get("age", "all")
        return cls(
            statuses=statuses,
            types=types,
            area=area if default_gazetteer().get(area) else "",
            age=age if age in AGES else "all",
        )

    def where(self, now: datetime) -> IncidentFilter:
        zone = default_gazetteer().get(self.area) if self.area else None
        window = AGES[self.age]
        return IncidentFilter(
            statuses=self.statuses,
            types=self.types,
            area=Circle(zone.point, zone.radius_m) if zone else None,
            since=now - window if window else None,
        )

    def query(self) -> list[tuple[str, str]]:
        pairs = [("f", "1"), *(("status", s.value) for s in self.statuses)]
        pairs += [("type", t.value) for t in self.types]
        return [*pairs, ("area", self.area), ("age", self.age)]


async def _claimants(request: Request, incidents: list[Incident]) -> dict[int, ConsoleUser]:
    ids = {i.claimed_by_id for i in incidents if i.claimed_by_id is not None}
    if not ids:
        return {}
    async with sessions_of(request)() as session:
        users = await session.scalars(select(ConsoleUser).where(ConsoleUser.id.in_(ids)))
        return {user.id: user for user in users}


async def _rows(request: Request, filters: QueueFilters) -> dict[str, Any]:
    now = datetime.now(UTC)
    async with sessions_of(request)() as session:
        page = await search_incidents(session, filters.where(now), limit=QUEUE_ROWS)
    return {
        "incidents": page.incidents,
        "total": page.total,
        "claimants": await _claimants(request, page.incidents),
        "fresh_after": now - FRESH,
        "gazetteer": default_gazetteer(),
    }


def _zones(language: str) -> list[tuple[str, str]]:
    areas = [(area.id, area.name(language)) for area in default_gazetteer()]
    return sorted(areas, key=lambda zone: zone[1])


@router.get("")
async def queue_page(request: Request, op: Signed) -> Response:
    filters = QueueFilters.parse(request.query_params)
    context = {
        "op": op,
        "filters": filters,
        "statuses": list(IncidentStatus),
        "types": list(IncidentType),
        "zones": _zones(op.language),
        "ages": list(AGES),
        "settings": request.app.state.settings,
        **await _rows(request, filters),
    }
    return render(request, "queue.html", op.language, context)


@router.get("/queue")
async def queue_rows(request: Request, op: Signed) -> Response:
    """The queue's rows (htmx swaps them in on a filter change or a live event)."""
    filters = QueueFilters.parse(request.query_params)
    return render(request, "_queue_rows.html", op.language, {"op": op, **await _rows(request, filters)})


def _feature(reference: str, incident_type: str, status: str, lat: float, lon: float) -> str:
    """One incident as a GeoJSON Feature (JSON text)."""
    properties = json.dumps({"reference": reference, "type": incident_type, "status": status})
    geometry = f'{{"type":"Point","coordinates":[{lon!r},{lat!r}]}}'
    return f'{{"type":"Feature","geometry":{geometry},"properties":{properties}}}'


@router.get("/map.geojson")
async def map_points(request: Request, op: Signed) -> Response:
    """The located incidents of the queue's filters, newest first, as light GeoJSON for the map."""
    filters = QueueFilters.parse(request.query_params)
    where = dataclasses.replace(filters.where(datetime.now(UTC)), located_only=True)
    # Columns, not ORM objects: thousands of points must stay well under the console's 200 ms.
    statement = (
        select(Incident.reference, Incident.incident_type, Incident.status, Incident.lat, Incident.lon)
        .where(*where.conditions())
        .order_by(Incident.created_at.desc(), Incident.id.desc())
        .limit(MAP_POINTS)
    )
    async with sessions_of(request)() as session:
        rows = (await session.execute(statement)).all()
    # Written out directly: thousands of small dicts per request made the garbage collector pause
    # the process for ~200 ms on one request in twenty.
    features = ",".join(
        _feature(reference, incident_type, status, lat, lon)
        for reference, incident_type, status, lat, lon in rows
        if lat is not None and lon is not None  # located_only: always true, said for the type checker
    )
    body = '{"type":"FeatureCollection","features":[' + features + "]}"
    return Response(body, media_type="application/geo+json")


@router.get("/geo/{name}.geojson")
async def geo_file(name: str, _: Signed) -> Response:
    """Our own map layers: the gazetteer's zones and Phuket's (approximate) outline."""
    path = GEO_FILES.get(name)
    if path is None:
        return Response(status_code=404)
    return FileResponse(
        path, media_type="application/geo+json", headers={"Cache-Control": "private, max-age=3600"}
    )


@router.get("/events")
async def events(request: Request, _: Signed) -> StreamingResponse:
    """Server-Sent Events: what changed, for the open pages to redraw (see bot.console.live)."""
    hub: LiveHub = request.app.state.console_live
    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(event_stream(hub), media_type="text/event-stream", headers=headers)
