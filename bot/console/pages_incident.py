"""One incident in the console: its facts, history, conversation, photos, map, and the actions
responders take on it (claim, status, talk to the reporter, duplicate, notes)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import Form, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from actions.console import Permission, default_phrasebook, phrase_key
from actions.console import incidents as rules
from actions.db.base import utcnow
from actions.db.models import Incident, User
from actions.domain import ALLOWED_TRANSITIONS, IncidentStatus, PlaceCategory
from actions.i18n import default_translator
from actions.incidents import (
    conversation,
    incident_by_reference,
    normalize_reference,
    photo_of,
    photos_of,
)
from actions.notify import Notifier
from actions.places import NearbyPlace, Point, format_distance, map_link, nearest_places
from bot.console.auth import Operator, Signed, sessions_of
from bot.console.routing import console_router, refusal
from bot.console.templating import console_translator, render

logger = logging.getLogger(__name__)

router = console_router()

Text = Annotated[str, Form(max_length=4000)]


async def _incident(session: AsyncSession, reference: str, *, for_update: bool = False) -> Incident | None:
    normalized = normalize_reference(reference)
    if normalized is None:
        return None
    return await incident_by_reference(session, normalized, for_update=for_update)


def _not_found(request: Request, op: Operator, reference: str) -> Response:
    return refusal(request, 404, console_translator()(op.language, "incident.not_found", reference=reference))


async def _nearest(session: AsyncSession, incident: Incident) -> list[tuple[PlaceCategory, NearbyPlace]]:
    if incident.lat is None or incident.lon is None:
        return []
    origin = Point(incident.lat, incident.lon)
    found = []
    for category in (PlaceCategory.HOSPITAL, PlaceCategory.POLICE, PlaceCategory.SHELTER):
        found += [(category, place) for place in await nearest_places(session, category, origin, limit=1)]
    return found


async def _context(session: AsyncSession, incident: Incident, op: Operator) -> dict[str, Any]:
    reporter = await session.get(User, incident.user_id)
    original = await session.get(Incident, incident.duplicate_of_id) if incident.duplicate_of_id else None
    nearest = await _nearest(session, incident)
    point = (
        Point(incident.lat, incident.lon) if incident.lat is not None and incident.lon is not None else None
    )
    return {
        "op": op,
        "incident": incident,
        "reporter": reporter,
        "reporter_language": rules.reporter_language(reporter, incident) if reporter else incident.language,
        "claimant": await rules.claimant(session, incident),
        "allowed": sorted(
            ALLOWED_TRANSITIONS[IncidentStatus(incident.status)], key=list(IncidentStatus).index
        ),
        "original": original,
        "duplicates": await rules.duplicates_of(session, incident),
        "messages": await conversation(session, incident),
        "photos": await photos_of(session, incident),
        "nearest": nearest,
        "nearest_places_json": [
            {
                "category": category.value,
                "name": place.name(op.language),
                "lat": place.place.lat,
                "lon": place.place.lon,
            }
            for category, place in nearest
        ],
        "format_distance": format_distance,
        "map_url": map_link(point) if point else None,
        "phrases": [(phrase_id, phrase_key(phrase_id)) for phrase_id in default_phrasebook()],
        "can_work": op.may(Permission.WORK_INCIDENTS),
        "can_take_over": op.may(Permission.TAKE_OVER),
    }


@router.get("/incidents/{reference}")
async def incident_page(request: Request, op: Signed, reference: str) -> Response:
    async with sessions_of(request)() as session:
        incident = await _incident(session, reference)
        if incident is None:
            return _not_found(request, op, reference)
        context = await _context(session, incident, op)
    context["settings"] = request.app.state.settings
    return render(request, "incident.html", op.language, context)


@router.get("/incidents/{reference}/panel")
async def incident_panel(request: Request, op: Signed, reference: str) -> Response:
    """Everything on the page that changes (htmx redraws it on a live event or after an action)."""
    async with sessions_of(request)() as session:
        incident = await _incident(session, reference)
        if incident is None:
            return _not_found(request, op, reference)
        context = await _context(session, incident, op)
    return render(request, "_incident_panel.html", op.language, context)


@router.get("/incidents/{reference}/photos/{photo_id}")
async def incident_photo(request: Request, op: Signed, reference: str, photo_id: int) -> Response:
    normalized = normalize_reference(reference) or ""
    async with sessions_of(request)() as session:
        photo = await photo_of(session, normalized, photo_id)
    if photo is None:
        return _not_found(request, op, reference)
    # nosniff: the bytes came from a member of the public; never let a browser run them as HTML.
    headers = {"X-Content-Type-Options": "nosniff", "Cache-Control": "private, max-age=3600"}
    return Response(content=photo.data, media_type=photo.content_type, headers=headers)


Change = Callable[[AsyncSession, Incident, datetime], Awaitable[list[User]]]


async def _act(request: Request, op: Operator, reference: str, change: Change, *, event: str) -> Response:
    """Apply one change in a transaction, deliver the reporter's notices, redraw the panel."""
    notifier: Notifier = request.app.state.runtime.notifier
    async with sessions_of(request)() as session:
        incident = await _incident(session, reference, for_update=True)
        if incident is None:
            return _not_found(request, op, reference)
        told = await change(session, incident, utcnow())
        await session.commit()
        for reporter in told:
            notifier.deliver_notices(reporter)
        if event:
            notifier.incident_changed(incident, event)
        incident = await _incident(session, incident.reference)
        assert incident is not None
        context = await _context(session, incident, op)
    return render(request, "_incident_panel.html", op.language, context)


@router.post("/incidents/{reference}/claim")
async def claim(request: Request, op: Signed, reference: str) -> Response:
    async def change(session: AsyncSession, incident: Incident, now: datetime) -> list[User]:
        await rules.claim(session, incident, op.user, now=now)
        return []

    return await _act(request, op, reference, change, event="")


@router.post("/incidents/{reference}/release")
async def release(request: Request, op: Signed, reference: str) -> Response:
    async def change(session: AsyncSession, incident: Incident, now: datetime) -> list[User]:
        await rules.release(session, incident, op.user, now=now)
        return []

    return await _act(request, op, reference, change, event="")


@router.post("/incidents/{reference}/status")
async def set_status(
    request: Request,
    op: Signed,
    reference: str,
    status: Annotated[IncidentStatus, Form()],
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    async def change(session: AsyncSession, incident: Incident, now: datetime) -> list[User]:
        result = await rules.set_status(
            session, incident, op.user, status, note=note.strip(), translator=default_translator(), now=now
        )
        return [result.reporter]

    return await _act(request, op, reference, change, event="status_changed")


@router.post("/incidents/{reference}/messages")
async def send_message(
    request: Request,
    op: Signed,
    reference: str,
    phrase: Annotated[str, Form(max_length=64)] = "",
    text: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """A phrasebook message (`phrase`) or the responder's own words (`text`) to the reporter."""
    if bool(phrase) == bool(text.strip()):
        return refusal(request, 400, console_translator()(op.language, "message.choose_one"))

    async def change(session: AsyncSession, incident: Incident, now: datetime) -> list[User]:
        translator = default_translator()
        if phrase:
            reporter = await rules.send_phrase(
                session, incident, op.user, phrase, translator=translator, now=now
            )
        else:
            reporter = await rules.send_free_text(
                session, incident, op.user, text, translator=translator, now=now
            )
        return [reporter]

    return await _act(request, op, reference, change, event="")


@router.post("/incidents/{reference}/duplicate")
async def mark_duplicate(
    request: Request, op: Signed, reference: str, original: Annotated[str, Form(max_length=64)]
) -> Response:
    async def change(session: AsyncSession, incident: Incident, now: datetime) -> list[User]:
        first = await _incident(session, original)
        if first is None:
            message = console_translator()(op.language, "incident.not_found", reference=original)
            raise rules.IncidentConflict(message)
        result, _ = await rules.mark_duplicate(
            session, incident, first, op.user, translator=default_translator(), now=now
        )
        return [result.reporter]

    return await _act(request, op, reference, change, event="status_changed")


@router.post("/incidents/{reference}/notes")
async def add_note(request: Request, op: Signed, reference: str, text: Text) -> Response:
    async def change(session: AsyncSession, incident: Incident, now: datetime) -> list[User]:
        await rules.add_internal_note(session, incident, op.user, text, now=now)
        return []

    return await _act(request, op, reference, change, event="")
