"""Incidents for the agencies: list and filter, one with its history and photos, a GeoJSON feed,
status changes and notes (each told to the reporter in the reporter's language)."""

from __future__ import annotations

import dataclasses
import logging
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from actions.audit import record_audit
from actions.db.base import utcnow
from actions.db.models import Incident, IncidentAttachment
from actions.domain import ALLOWED_TRANSITIONS, IncidentStatus, IncidentType
from actions.i18n import default_translator
from actions.incidents import (
    IncidentFilter,
    InvalidTransition,
    add_note,
    change_status,
    incident_by_reference,
    normalize_reference,
    photo_of,
    photos_of,
    search_incidents,
)
from actions.notify import Notifier
from actions.places import Point, map_link
from bot.api.auth import Operator, Viewer
from bot.api.common import (
    MAX_DATABASE_ID,
    AreaQuery,
    DbSession,
    Limit,
    Offset,
    Page,
    aware,
    bad_request,
    not_found,
)
from bot.openapi import error_responses

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/api/v1", tags=["incidents"])


class Location(BaseModel):
    lat: float
    lon: float


class IncidentOut(BaseModel):
    reference: str
    type: IncidentType
    status: IncidentStatus
    language: str
    channel: str
    text: str | None = Field(description="What the reporter first wrote.")
    location: Location | None
    location_text: str | None
    map_url: str | None
    rate_limited: bool = Field(
        description="Reported while the reporter was above the message rate (README: Security)."
    )
    created_at: datetime
    updated_at: datetime
    url: str


class EventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    actor: str
    text: str | None
    data: dict[str, Any]
    created_at: datetime


class PhotoMeta(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    content_type: str
    size: int
    sha256: str
    event_id: int | None
    created_at: datetime


class PhotoOut(PhotoMeta):
    url: str


class IncidentDetail(IncidentOut):
    events: list[EventOut]
    photos: list[PhotoOut]


class IncidentList(Page):
    items: list[IncidentOut]


class StatusChangeIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    status: IncidentStatus
    note: Annotated[str | None, Field(max_length=2000, description="Told to the reporter too.")] = None


class NoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    text: Annotated[str, Field(min_length=1, max_length=2000)]


def incident_filter(
    area: AreaQuery,
    statuses: Annotated[
        list[IncidentStatus] | None, Query(alias="status", description="Repeat for several.")
    ] = None,
    types: Annotated[
        list[IncidentType] | None, Query(alias="type", description="Repeat for several.")
    ] = None,
    since: Annotated[datetime | None, Query(description="Created at or after (with a time zone).")] = None,
    until: Annotated[datetime | None, Query(description="Created before (with a time zone).")] = None,
) -> IncidentFilter:
    since, until = aware(since, "since"), aware(until, "until")
    if since is not None and until is not None and since >= until:
        raise bad_request("since must be before until")
    return IncidentFilter(
        statuses=tuple(statuses or ()),
        types=tuple(types or ()),
        area=area.circle if area else None,
        since=since,
        until=until,
    )


Filter = Annotated[IncidentFilter, Depends(incident_filter)]


def _incident_out(request: Request, incident: Incident) -> dict[str, Any]:
    point = None
    if incident.lat is not None and incident.lon is not None:
        point = Point(incident.lat, incident.lon)
    return {
        "reference": incident.reference,
        "type": incident.incident_type,
        "status": incident.status,
        "language": incident.language,
        "channel": incident.channel,
        "text": incident.raw_text,
        "location": {"lat": point.lat, "lon": point.lon} if point else None,
        "location_text": incident.location_text,
        "map_url": map_link(point) if point else None,
        "rate_limited": incident.rate_limited,
        "created_at": incident.created_at,
        "updated_at": incident.updated_at,
        "url": str(request.url_for("get_incident", reference=incident.reference)),
    }


def _photo_out(request: Request, reference: str, photo: IncidentAttachment) -> PhotoOut:
    url = request.url_for("get_incident_photo", reference=reference, photo_id=photo.id)
    return PhotoOut(**PhotoMeta.model_validate(photo).model_dump(), url=str(url))


async def _detail(request: Request, session: DbSession, reference: str) -> IncidentDetail:
    incident = await _incident_or_404(session, reference)
    photos = await photos_of(session, incident)
    return IncidentDetail(
        **_incident_out(request, incident),
        events=[EventOut.model_validate(event) for event in incident.events],
        photos=[_photo_out(request, incident.reference, photo) for photo in photos],
    )


def _reference(reference: str) -> str:
    normalized = normalize_reference(reference)
    if normalized is None:
        raise not_found(f"no incident {reference!r}")
    return normalized


async def _incident_or_404(session: DbSession, reference: str, *, for_update: bool = False) -> Incident:
    incident = await incident_by_reference(session, _reference(reference), for_update=for_update)
    if incident is None:
        raise not_found(f"no incident {reference!r}")
    return incident


@router.get("/incidents", response_model=IncidentList)
async def list_incidents(
    request: Request, session: DbSession, _: Viewer, where: Filter, limit: Limit = 50, offset: Offset = 0
) -> IncidentList:
    """Incidents, newest first, filtered by status, type, area and creation time."""
    page = await search_incidents(session, where, limit=limit, offset=offset)
    return IncidentList(
        total=page.total,
        limit=limit,
        offset=offset,
        items=[IncidentOut(**_incident_out(request, incident)) for incident in page.incidents],
    )


@router.get(
    "/incidents.geojson",
    response_class=JSONResponse,
    responses={200: {"content": {"application/geo+json": {}}}},
)
async def incidents_geojson(
    request: Request,
    session: DbSession,
    _: Viewer,
    where: Filter,
    limit: Annotated[int, Query(ge=1, le=5000)] = 1000,
    offset: Offset = 0,
) -> JSONResponse:
    """The located incidents as a GeoJSON FeatureCollection (same filters), for maps."""
    where = dataclasses.replace(where, located_only=True)
    page = await search_incidents(session, where, limit=limit, offset=offset)
    features = []
    for incident in page.incidents:
        properties = IncidentOut(**_incident_out(request, incident)).model_dump(
            mode="json", exclude={"location"}
        )
        features.append(
            {
                "type": "Feature",
                "id": incident.reference,
                "geometry": {"type": "Point", "coordinates": [incident.lon, incident.lat]},
                "properties": properties,
            }
        )
    body = {"type": "FeatureCollection", "features": features, "total": page.total}
    return JSONResponse(body, media_type="application/geo+json")


@router.get("/incidents/{reference}", response_model=IncidentDetail)
async def get_incident(request: Request, session: DbSession, _: Viewer, reference: str) -> IncidentDetail:
    """One incident with its events (oldest first) and its photos' metadata."""
    return await _detail(request, session, reference)


@router.get(
    "/incidents/{reference}/photos/{photo_id}",
    response_class=Response,
    responses={200: {"content": {"image/*": {}}, "description": "The photo's bytes."}},
)
async def get_incident_photo(
    session: DbSession, _: Viewer, reference: str, photo_id: Annotated[int, Path(ge=1, le=MAX_DATABASE_ID)]
) -> Response:
    """A photo the reporter sent, with its content type."""
    photo = await photo_of(session, _reference(reference), photo_id)
    if photo is None:
        raise not_found(f"incident {reference!r} has no photo {photo_id}")
    # nosniff: the bytes came from a member of the public; never let a browser run them as HTML.
    headers = {"X-Content-Type-Options": "nosniff", "Cache-Control": "private, max-age=3600"}
    return Response(content=photo.data, media_type=photo.content_type, headers=headers)


@router.post("/incidents/{reference}/status", response_model=IncidentDetail, responses=error_responses(409))
async def set_incident_status(
    request: Request, session: DbSession, principal: Operator, reference: str, body: StatusChangeIn
) -> IncidentDetail:
    """Move an incident on (new → acknowledged → dispatched → resolved/closed); the reporter is told."""
    incident = await _incident_or_404(session, reference, for_update=True)
    now = utcnow()
    try:
        change = await change_status(
            session,
            incident,
            body.status,
            actor=principal.actor,
            now=now,
            translator=default_translator(),
            note=body.note or None,
        )
    except InvalidTransition as exc:
        allowed = sorted(s.value for s in ALLOWED_TRANSITIONS[IncidentStatus(exc.current)])
        raise HTTPException(
            status_code=status.HTTP_409_CONFLICT,
            detail=f"{exc}; from {exc.current} it can become: {', '.join(allowed) or 'nothing (final)'}",
        ) from exc
    await record_audit(
        session,
        actor=principal.actor,
        action="incident.status",
        target=incident.reference,
        details={"from": change.previous.value, "to": change.status.value, "note": body.note or None},
        now=now,
    )
    await session.commit()
    notifier: Notifier = request.app.state.runtime.notifier
    notifier.deliver_notices(change.reporter)
    notifier.incident_changed(incident, "status_changed")
    return await _detail(request, session, incident.reference)


@router.post("/incidents/{reference}/notes", response_model=IncidentDetail, status_code=201)
async def add_incident_note(
    request: Request, session: DbSession, principal: Operator, reference: str, body: NoteIn
) -> IncidentDetail:
    """Add a note to an incident; the reporter is told, in the reporter's language."""
    incident = await _incident_or_404(session, reference, for_update=True)
    now = utcnow()
    event, reporter = await add_note(
        session, incident, body.text, actor=principal.actor, now=now, translator=default_translator()
    )
    await record_audit(
        session,
        actor=principal.actor,
        action="incident.note",
        target=incident.reference,
        details={"event_id": event.id, "text": body.text},
        now=now,
    )
    await session.commit()
    notifier: Notifier = request.app.state.runtime.notifier
    notifier.deliver_notices(reporter)
    return await _detail(request, session, incident.reference)
