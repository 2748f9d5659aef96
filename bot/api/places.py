"""Places for the agencies: list them, add or update one, import a GeoJSON or CSV file (all or nothing)."""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import PurePath
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from sqlalchemy.exc import IntegrityError
from starlette.datastructures import UploadFile

from actions.audit import record_audit
from actions.db.base import utcnow
from actions.db.models import Place
from actions.domain import PlaceKind
from actions.places import (
    PlaceImportError,
    PlaceRecord,
    RowError,
    place_by_id,
    read_places_text,
    search_places,
    upsert_places,
)
from bot.api.auth import Admin, Viewer
from bot.api.common import AreaQuery, DbSession, Limit, Offset, Page, bad_request, not_found
from bot.openapi import error_responses

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/api/v1", tags=["places"])


MAX_IMPORT_BYTES = 10 * 1024 * 1024
_FORMAT_BY_SUFFIX = {".csv": "csv", ".geojson": "geojson", ".json": "geojson"}
_FORMAT_BY_TYPE = {"text/csv": "csv", "application/geo+json": "geojson", "application/json": "geojson"}


def _wire_name(field: str) -> str:
    return "id" if field == "external_id" else field


class PlaceIn(PlaceRecord):
    """A place as the API takes it: the fields of the import files, `id` being its stable id."""

    model_config = ConfigDict(
        extra="forbid", str_strip_whitespace=True, populate_by_name=True, alias_generator=_wire_name
    )


class PlaceOut(PlaceIn):
    created_at: datetime
    updated_at: datetime


class PlaceList(Page):
    items: list[PlaceOut]


class ImportResult(BaseModel):
    imported: int
    created: int
    updated: int


def _place_out(place: Place) -> PlaceOut:
    return PlaceOut.model_validate(
        {
            "external_id": place.external_id,
            "kind": place.kind,
            "names": place.names,
            "lat": place.lat,
            "lon": place.lon,
            "phone": place.phone,
            "area": place.area,
            "source": place.source,
            "verified": place.verified,
            "created_at": place.created_at,
            "updated_at": place.updated_at,
        }
    )


def _record(body: PlaceIn) -> PlaceRecord:
    return PlaceRecord.model_validate(body.model_dump())


@router.get("/places", response_model=PlaceList)
async def list_places(
    session: DbSession,
    _: Viewer,
    area: AreaQuery,
    kinds: Annotated[list[PlaceKind] | None, Query(alias="kind", description="Repeat for several.")] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> PlaceList:
    """Shelters, evacuation points, hospitals and police stations, by id; a gazetteer area also
    matches the places tagged with it."""
    page = await search_places(
        session,
        kinds=tuple(kinds or ()),
        area=area.circle if area else None,
        area_id=area.area_id if area else None,
        limit=limit,
        offset=offset,
    )
    return PlaceList(
        total=page.total, limit=limit, offset=offset, items=[_place_out(place) for place in page.places]
    )


@router.post("/places", response_model=PlaceOut, status_code=201, responses=error_responses(409))
async def add_place(session: DbSession, principal: Admin, body: PlaceIn) -> PlaceOut:
    """Add one place; 409 when its id exists (update it with PUT)."""
    if await place_by_id(session, body.external_id) is not None:
        raise HTTPException(status.HTTP_409_CONFLICT, f"place {body.external_id!r} exists; PUT to update it")
    now = utcnow()
    try:
        await upsert_places(session, [_record(body)])
    except IntegrityError as exc:  # added by someone else since the check above
        raise HTTPException(status.HTTP_409_CONFLICT, f"place {body.external_id!r} exists") from exc
    await record_audit(
        session,
        actor=principal.actor,
        action="place.create",
        target=body.external_id,
        details=body.model_dump(mode="json", by_alias=True),
        now=now,
    )
    await session.commit()
    place = await place_by_id(session, body.external_id)
    assert place is not None
    return _place_out(place)


@router.put("/places/{external_id}", response_model=PlaceOut)
async def update_place(session: DbSession, principal: Admin, external_id: str, body: PlaceIn) -> PlaceOut:
    """Replace a place's fields; the `id` in the body must be the one in the path."""
    if body.external_id != external_id:
        raise bad_request(f"the body's id {body.external_id!r} is not the path's {external_id!r}")
    place = await place_by_id(session, external_id)
    if place is None:
        raise not_found(f"no place {external_id!r}")
    before = _place_out(place).model_dump(mode="json", by_alias=True, exclude={"created_at", "updated_at"})
    await upsert_places(session, [_record(body)])
    await record_audit(
        session,
        actor=principal.actor,
        action="place.update",
        target=external_id,
        details={"before": before, "after": body.model_dump(mode="json", by_alias=True)},
        now=utcnow(),
    )
    await session.commit()
    await session.refresh(place)
    return _place_out(place)


def _format(filename: str | None, content_type: str | None) -> str | None:
    if filename and (found := _FORMAT_BY_SUFFIX.get(PurePath(filename).suffix.lower())):
        return found
    return _FORMAT_BY_TYPE.get((content_type or "").split(";")[0].strip().lower())


def _rejected(errors: list[RowError]) -> JSONResponse:
    return JSONResponse(
        status_code=422,
        content={
            "detail": f"nothing imported: {len(errors)} bad row(s)",
            "errors": [{"source": e.source, "where": e.where, "message": e.message} for e in errors],
        },
    )


def _too_large() -> HTTPException:
    return HTTPException(
        status.HTTP_413_REQUEST_ENTITY_TOO_LARGE, f"the file is larger than {MAX_IMPORT_BYTES} bytes"
    )


async def _upload(request: Request) -> tuple[bytes, str, str | None]:
    """The file's bytes, a name for it in error messages, and its format (None: not recognised)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_IMPORT_BYTES + 64 * 1024:
        raise _too_large()
    content_type = request.headers.get("content-type", "")
    if content_type.lower().startswith("multipart/form-data"):
        form = await request.form(max_files=1, max_fields=5)
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise bad_request("send the file in a multipart form field named 'file'")
        raw = await upload.read(MAX_IMPORT_BYTES + 1)
        name = upload.filename or "upload"
        return raw, name, _format(upload.filename, upload.content_type)
    raw = await request.body()
    return raw, "upload", _format(None, content_type)


_IMPORT_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                    "required": ["file"],
                }
            },
            "text/csv": {"schema": {"type": "string"}},
            "application/geo+json": {"schema": {"type": "object"}},
        },
    }
}


@router.post(
    "/places/import",
    response_model=ImportResult,
    openapi_extra=_IMPORT_BODY,
    responses={
        413: {"description": "The file is too large."},
        415: {"description": "Not CSV or GeoJSON."},
        422: {"description": "Bad rows, each listed; nothing was imported."},
    },
)
async def import_places(request: Request, session: DbSession, principal: Admin) -> Any:
    """Import places from GeoJSON or CSV (the files `safety-bot places import` takes), as a multipart
    upload (field `file`) or a raw body (`text/csv`, `application/geo+json`, `application/json`).
    Every row is validated first: any bad row and nothing is written."""
    raw, name, file_format = await _upload(request)
    if len(raw) > MAX_IMPORT_BYTES:
        raise _too_large()
    if file_format is None:
        raise HTTPException(
            status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
            "send CSV (text/csv or a .csv file) or GeoJSON (application/geo+json or a .geojson file)",
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return _rejected([RowError(name, "file", "not UTF-8 text")])
    try:
        records = read_places_text(text, file_format, name)
    except PlaceImportError as exc:
        return _rejected(exc.errors)
    now = utcnow()
    summary = await upsert_places(session, records)
    await record_audit(
        session,
        actor=principal.actor,
        action="place.import",
        target=name,
        details={
            "format": file_format,
            "created": summary.created,
            "updated": summary.updated,
            "ids": [record.external_id for record in records],
        },
        now=now,
    )
    await session.commit()
    return ImportResult(imported=len(records), created=summary.created, updated=summary.updated)
