"""Alerts for the agencies: issue, update, cancel (JSON or CAP 1.2), list, and CAP 1.2 feeds.

Writes need the operator role and are audited; reads need the viewer role, except the CAP
documents and feeds, which are public like the warnings they carry. Input that cannot become an
alert gets 422 naming every problem; a body that is not JSON (or not XML) at all gets 400.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Request, Response, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from actions.alerts import AlertArea
from actions.alerts.draft import AlertDraft, AlertValidationError, AreaDraft, FieldError, field_errors
from actions.alerts.service import (
    AlertResult,
    AlertStateError,
    cancel_alert,
    cap_sent,
    create_alert,
    get_alert,
    is_in_force,
    list_alerts,
    update_alert,
)
from actions.cap import (
    CAP_CONTENT_TYPE,
    CapError,
    alert_to_cap,
    atom_feed,
    parse_cap,
    read_cap,
    relay_cap,
    to_bytes,
)
from actions.db.base import utcnow
from actions.db.models import Alert
from actions.i18n import default_translator
from actions.places import default_gazetteer
from bot.api.auth import Principal, Role, require
from bot.api.common import MAX_DATABASE_ID, DbSession, Limit, Offset, Page, not_found
from bot.openapi import error_responses

logger = logging.getLogger(__name__)


UNPROCESSABLE = 422
# The body is missing, not JSON, or not a JSON object: malformed, not a bad alert.
_MALFORMED = {"missing", "model_attributes_type", "dict_type"}


def _about_the_alert(error: Any) -> bool:
    loc, kind = tuple(error.get("loc", ())), error.get("type")
    if kind == "json_invalid" or (loc == ("body",) and kind in _MALFORMED):
        return False
    return loc[:1] == ("body",)


class AlertRoute(APIRoute):
    """A body that is JSON but not an alert gets 422 with every problem (the app answers 400 for
    all other malformed input, including a body that is not JSON at all)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as exc:
                errors = list(exc.errors())
                if not errors or not all(_about_the_alert(error) for error in errors):
                    raise
                detail = [error.model_dump() for error in field_errors(errors, skip=1)]
                return JSONResponse(status_code=UNPROCESSABLE, content={"detail": detail})

        return handle


router = APIRouter(prefix="/api/v1", tags=["alerts"], route_class=AlertRoute)

Viewer = Annotated[Principal, Depends(require(Role.VIEWER))]
Operator = Annotated[Principal, Depends(require(Role.OPERATOR))]
AlertId = Annotated[int, Path(ge=1, le=MAX_DATABASE_ID)]

MAX_BODY_BYTES = 1024 * 1024
ATOM_CONTENT_TYPE = "application/atom+xml"


class AlertOut(BaseModel):
    id: int
    identifier: str
    sender: str
    agency: str
    msg_type: str
    status: str
    in_force: bool
    hazard: str
    severity: str
    urgency: str
    certainty: str
    area: AreaDraft
    headline: dict[str, str]
    instruction: dict[str, str]
    description: dict[str, str]
    effective: AwareDatetime
    expires: AwareDatetime | None
    sent: str
    references: str | None
    cancelled_at: AwareDatetime | None
    created_at: AwareDatetime
    updated_at: AwareDatetime
    cap_url: str


class AlertWritten(BaseModel):
    alert: AlertOut
    # Supported languages the alert has no text in: their readers get our standard wording.
    fallback_languages: list[str]
    # Deliveries enqueued for subscribers by this write.
    deliveries: int


class CapRelayed(BaseModel):
    msg_type: str
    alerts: list[AlertWritten]
    # What was left out of the message (unsupported languages, geocodes, unplaced areas, ...).
    notes: list[str]


class AlertList(Page):
    items: list[AlertOut]


def _unprocessable(errors: list[FieldError]) -> HTTPException:
    return HTTPException(
        status_code=UNPROCESSABLE,
        detail=[error.model_dump() for error in errors],
    )


def _conflict(exc: Exception) -> HTTPException:
    return HTTPException(status_code=status.HTTP_409_CONFLICT, detail=str(exc))


def _url(request: Request, path: str) -> str:
    settings = getattr(request.app.state, "settings", None)
    base = getattr(settings, "public_base_url", None) or str(request.base_url)
    return base.rstrip("/") + path


def _cap_url(request: Request, alert: Alert) -> str:
    return _url(request, f"/api/v1/alerts/{alert.id}/cap")


def _alert_out(request: Request, alert: Alert) -> AlertOut:
    return AlertOut(
        id=alert.id,
        identifier=alert.identifier,
        sender=alert.sender,
        agency=alert.agency,
        msg_type=alert.msg_type,
        status=alert.status,
        in_force=is_in_force(alert, utcnow()),
        hazard=alert.hazard,
        severity=alert.severity,
        urgency=alert.urgency,
        certainty=alert.certainty,
        area=AreaDraft.from_area(AlertArea.from_json(alert.area)),
        headline=alert.headline,
        instruction=alert.instruction,
        description=alert.description,
        effective=alert.effective,
        expires=alert.expires,
        sent=cap_sent(alert),
        references=alert.references,
        cancelled_at=alert.cancelled_at,
        created_at=alert.created_at,
        updated_at=alert.updated_at,
        cap_url=_cap_url(request, alert),
    )


def _written(request: Request, result: AlertResult) -> AlertWritten:
    return AlertWritten(
        alert=_alert_out(request, result.alert),
        fallback_languages=result.fallback_languages,
        deliveries=result.deliveries,
    )


async def _body(request: Request) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise HTTPException(
            status.HTTP_413_REQUEST_ENTITY_TOO_LARGE, f"the body is over {MAX_BODY_BYTES} bytes"
        )
    raw = await request.body()
    if len(raw) > MAX_BODY_BYTES:
        raise HTTPException(
            status.HTTP_413_REQUEST_ENTITY_TOO_LARGE, f"the body is over {MAX_BODY_BYTES} bytes"
        )
    return raw


@asynccontextmanager
async def _refusals() -> AsyncIterator[None]:
    """Why the service refused, as HTTP: 422 for input that cannot be an alert, 409 for its state."""
    try:
        yield
    except CapError as exc:
        raise _unprocessable([FieldError(loc=["body"], msg=problem) for problem in exc.problems]) from exc
    except AlertValidationError as exc:
        raise _unprocessable(exc.errors) from exc
    except AlertStateError as exc:
        raise _conflict(exc) from exc


async def _commit(session: AsyncSession) -> None:
    try:
        await session.commit()
    except IntegrityError as exc:  # the same identifier written by someone else meanwhile
        await session.rollback()
        raise _conflict(Exception("an alert with this identifier exists")) from exc


async def _alert_or_404(session: AsyncSession, alert_id: int) -> Alert:
    alert = await get_alert(session, alert_id)
    if alert is None:
        raise not_found(f"no alert {alert_id}")
    return alert


@router.post("/alerts", status_code=201, response_model=AlertWritten, responses=error_responses(422))
async def issue_alert(
    request: Request, session: DbSession, principal: Operator, draft: AlertDraft
) -> AlertWritten:
    """Issue an alert and enqueue its deliveries, in one transaction (operator)."""
    async with _refusals():
        result = await create_alert(
            session, draft, actor=principal.actor, agency=principal.agency, now=utcnow()
        )
    await _commit(session)
    return _written(request, result)


@router.get("/alerts", response_model=AlertList)
async def alerts(
    request: Request,
    session: DbSession,
    _: Viewer,
    all: bool = False,
    limit: Limit = 100,
    offset: Offset = 0,
) -> AlertList:
    """The alerts in force, most recent first; ``?all=true`` for every alert ever issued."""
    total, page = await list_alerts(session, utcnow(), in_force_only=not all, limit=limit, offset=offset)
    return AlertList(
        total=total, limit=limit, offset=offset, items=[_alert_out(request, alert) for alert in page]
    )


@router.get("/alerts/cap", response_class=Response)
async def cap_feed(request: Request, session: DbSession) -> Response:
    """The alerts in force as CAP 1.2: an Atom feed with each full `<alert>` in its entry (public)."""
    now = utcnow()
    translator, gazetteer = default_translator(), default_gazetteer()
    feed = atom_feed(
        await _in_force(session),
        feed_id=_url(request, "/api/v1/alerts/cap"),
        title="Phuket Smart Safety: alerts in force (CAP 1.2)",
        now=now,
        link=lambda alert: _cap_url(request, alert),
        embed=lambda alert: alert_to_cap(alert, translator=translator, gazetteer=gazetteer),
    )
    return Response(to_bytes(feed), media_type=ATOM_CONTENT_TYPE)


@router.get("/alerts/cap.atom", response_class=Response)
async def cap_index(request: Request, session: DbSession) -> Response:
    """An Atom index of the alerts in force, each entry linking its CAP 1.2 document (public)."""
    feed = atom_feed(
        await _in_force(session),
        feed_id=_url(request, "/api/v1/alerts/cap.atom"),
        title="Phuket Smart Safety: alerts in force",
        now=utcnow(),
        link=lambda alert: _cap_url(request, alert),
    )
    return Response(to_bytes(feed), media_type=ATOM_CONTENT_TYPE)


async def _in_force(session: AsyncSession) -> list[Alert]:
    _, page = await list_alerts(session, utcnow(), in_force_only=True, limit=None)
    return page


@router.post(
    "/alerts/cap",
    response_model=CapRelayed,
    responses=error_responses(409, 422),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {CAP_CONTENT_TYPE: {"schema": {"type": "string"}}},
        }
    },
)
async def relay(request: Request, session: DbSession, principal: Operator) -> JSONResponse:
    """Relay a CAP 1.2 message: Alert issues, Update replaces, Cancel cancels (operator).

    201 for an Alert, 200 for an Update or a Cancel; 422 names every problem (with line numbers
    for schema violations).
    """
    now = utcnow()
    async with _refusals():
        root = parse_cap(await _body(request))
        message = read_cap(root, default_gazetteer())
        outcome = await relay_cap(
            session, message, actor=principal.actor, now=now, gazetteer=default_gazetteer()
        )
    if not outcome.results:
        raise _conflict(Exception("every alert this Cancel references is already cancelled"))
    await _commit(session)
    body = CapRelayed(
        msg_type=outcome.msg_type.value,
        alerts=[_written(request, result) for result in outcome.results],
        notes=outcome.notes,
    )
    created = outcome.msg_type.value == "Alert"
    return JSONResponse(status_code=201 if created else 200, content=body.model_dump(mode="json"))


@router.get("/alerts/{alert_id}", response_model=AlertOut)
async def alert(request: Request, session: DbSession, _: Viewer, alert_id: AlertId) -> AlertOut:
    """One alert, in force or not (viewer)."""
    return _alert_out(request, await _alert_or_404(session, alert_id))


@router.put("/alerts/{alert_id}", response_model=AlertWritten, responses=error_responses(409, 422))
async def replace_alert(
    request: Request, session: DbSession, principal: Operator, alert_id: AlertId, draft: AlertDraft
) -> AlertWritten:
    """Replace an alert's content (a CAP Update); newly covered subscribers get it (operator)."""
    alert = await _alert_or_404(session, alert_id)
    async with _refusals():
        result = await update_alert(session, alert, draft, actor=principal.actor, now=utcnow())
    await _commit(session)
    return _written(request, result)


class CancelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Annotated[str | None, Field(max_length=1000)] = None


@router.post("/alerts/{alert_id}/cancel", response_model=AlertWritten, responses=error_responses(409, 422))
async def cancel(
    request: Request,
    session: DbSession,
    principal: Operator,
    alert_id: AlertId,
    body: CancelIn | None = None,
) -> AlertWritten:
    """Cancel an alert: it is no longer in force, unsent deliveries are not sent (operator).

    An optional JSON body ``{"reason": "..."}`` goes to the audit log.
    """
    alert = await _alert_or_404(session, alert_id)
    reason = body.reason if body else None
    async with _refusals():
        result = await cancel_alert(session, alert, actor=principal.actor, now=utcnow(), reason=reason)
    await _commit(session)
    return _written(request, result)


@router.get("/alerts/{alert_id}/cap", response_class=Response)
async def alert_cap(request: Request, session: DbSession, alert_id: AlertId) -> Response:
    """One alert as a CAP 1.2 document (a Cancel once it is cancelled) (public)."""
    alert = await _alert_or_404(session, alert_id)
    document = alert_to_cap(alert, translator=default_translator(), gazetteer=default_gazetteer())
    return Response(to_bytes(document), media_type=CAP_CONTENT_TYPE)
