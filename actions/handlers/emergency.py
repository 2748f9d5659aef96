"""SOS: record the incident first, then give the numbers, then gather location, details, photos."""

from __future__ import annotations

import hashlib
import logging

from sqlalchemy import select

from actions.context import ActionContext
from actions.db.models import Incident, IncidentAttachment
from actions.domain import OPEN_STATUSES, EventKind, IncidentStatus, IncidentType
from actions.flows import Flow, clear_flow, start_flow
from actions.handlers.location import named_area, remember_location
from actions.handlers.menu import menu_reply
from actions.handlers.numbers import numbers_text
from actions.incidents import add_event, change_status, create_incident, incident_to_join
from actions.places.geo import map_link
from actions.replies import Button, Reply

logger = logging.getLogger(__name__)

STEP_LOCATION = "location"
STEP_DETAILS = "details"
STEP_CONFIRM_CANCEL = "confirm_cancel"
MAX_PHOTO_BYTES = 10 * 1024 * 1024


def parse_incident_type(value: str | None) -> IncidentType:
    try:
        return IncidentType(value) if value else IncidentType.UNKNOWN
    except ValueError:
        return IncidentType.UNKNOWN


def actor_of(ctx: ActionContext) -> str:
    return f"{ctx.user.channel}:{ctx.user.channel_user_id}"


async def open_incident(ctx: ActionContext) -> Incident | None:
    """The incident of the user's SOS flow, if the flow is still open and so is the incident."""
    if ctx.state.flow != Flow.SOS or ctx.state.incident_id is None:
        return None
    incident = await ctx.session.get(Incident, ctx.state.incident_id)
    if incident is None or incident.status not in OPEN_STATUSES:
        return None
    return incident


async def report_emergency(ctx: ActionContext, incident_type: IncidentType) -> list[Reply]:
    joined = await incident_to_join(
        ctx.session, user_id=ctx.user.id, client_key=ctx.client_key, now=ctx.now, cap=ctx.incident_cap
    )
    if joined is not None:
        return await _join_report(ctx, joined, incident_type)
    incident = await create_incident(
        ctx.session,
        user=ctx.user,
        incident_type=incident_type,
        language=ctx.language,
        raw_text=ctx.text,
        now=ctx.now,
        actor=actor_of(ctx),
        rate_limited=ctx.rate_limited,
        client_key=ctx.client_key,
    )
    limited = " above the message rate" if ctx.rate_limited else ""
    logger.warning("SOS %s (%s) from %s%s", incident.reference, incident_type, actor_of(ctx), limited)
    text = ctx.t("sos.created", reference=incident.reference, numbers=numbers_text(ctx, incident_type))
    return await _gather_location(ctx, incident, text, "created")


async def _join_report(ctx: ActionContext, incident: Incident, incident_type: IncidentType) -> list[Reply]:
    """A report beyond the client's cap of new incidents: an event of its latest open incident."""
    await add_event(
        ctx.session,
        incident,
        EventKind.GROUPED_REPORT,
        actor=actor_of(ctx),
        now=ctx.now,
        text=ctx.text,
        data={"incident_type": incident_type.value, "rate_limited": ctx.rate_limited},
    )
    logger.warning(
        "SOS (%s) from %s over the cap of new incidents: joined %s",
        incident_type,
        actor_of(ctx),
        incident.reference,
    )
    text = ctx.t("sos.grouped", reference=incident.reference, numbers=numbers_text(ctx, incident_type))
    return await _gather_location(ctx, incident, text, EventKind.GROUPED_REPORT.value)


async def _gather_location(ctx: ActionContext, incident: Incident, text: str, event: str) -> list[Reply]:
    """Open the SOS flow on `incident` and ask where, unless the message already said it."""
    start_flow(ctx, Flow.SOS, {"reference": incident.reference}, step=STEP_LOCATION)
    ctx.state.incident_id = incident.id
    replies = [Reply(text=text)]
    # The first message may already say where: record it and go straight to the details.
    if ctx.location is not None or named_area(ctx) is not None:
        replies += await _record_location(ctx, incident, notify=False)
    else:
        replies.append(Reply(text=ctx.t("sos.ask_location"), request_location=True))
    ctx.notify_responders(incident, event)
    return replies


async def _record_location(ctx: ActionContext, incident: Incident, *, notify: bool = True) -> list[Reply]:
    if ctx.location is not None:
        point, label = ctx.location, None
        remember_location(ctx, point)
    elif (area := named_area(ctx)) is not None:
        point, label = area.point, area.name("en")
    else:
        return [Reply(text=ctx.t("sos.ask_location"), request_location=True)]
    incident.lat, incident.lon = point.lat, point.lon
    incident.location_text = label or (ctx.text if ctx.location is None else None)
    await add_event(
        ctx.session,
        incident,
        EventKind.LOCATION,
        actor=actor_of(ctx),
        now=ctx.now,
        text=ctx.text if ctx.location is None else None,
        data={"lat": point.lat, "lon": point.lon, "map_url": map_link(point), "area": label},
    )
    ctx.state.step = STEP_DETAILS
    if notify:
        ctx.notify_responders(incident, EventKind.LOCATION.value)
    return [Reply(text=ctx.t("sos.ask_details", reference=incident.reference))]


async def add_photo(ctx: ActionContext, incident: Incident) -> list[Reply]:
    assert ctx.photo is not None
    data = ctx.photo[:MAX_PHOTO_BYTES]
    digest = hashlib.sha256(data).hexdigest()
    event = await add_event(
        ctx.session,
        incident,
        EventKind.PHOTO,
        actor=actor_of(ctx),
        now=ctx.now,
        data={"content_type": ctx.photo_content_type or "image/jpeg", "sha256": digest, "size": len(data)},
    )
    ctx.session.add(
        IncidentAttachment(
            incident_id=incident.id,
            event_id=event.id,
            content_type=ctx.photo_content_type or "image/jpeg",
            sha256=digest,
            size=len(data),
            data=data,
            created_at=ctx.now,
        )
    )
    ctx.notify_responders(incident, EventKind.PHOTO.value)
    return [Reply(text=ctx.t("sos.photo_added", reference=incident.reference))]


async def continue_emergency(ctx: ActionContext, incident: Incident) -> list[Reply]:
    """A message inside the SOS flow: a location, a photo, or details added to the same incident."""
    if ctx.photo is not None:
        return await add_photo(ctx, incident)
    if ctx.location is not None or (ctx.state.step == STEP_LOCATION and named_area(ctx)):
        return await _record_location(ctx, incident)
    await add_details(ctx, incident)
    # The flow stays open (until it expires) so that a photo or more details join this incident.
    ctx.state.step = STEP_DETAILS
    return [Reply(text=ctx.t("sos.details_added", reference=incident.reference))]


async def add_details(ctx: ActionContext, incident: Incident) -> None:
    """Keep what the reporter wrote with the incident, and tell the responders."""
    await add_event(ctx.session, incident, EventKind.DETAILS, actor=actor_of(ctx), now=ctx.now, text=ctx.text)
    ctx.notify_responders(incident, EventKind.DETAILS.value)


async def latest_open_incident(ctx: ActionContext) -> Incident | None:
    """The user's most recent open incident (a photo sent outside the flow still belongs to it)."""
    statement = (
        select(Incident)
        .where(Incident.user_id == ctx.user.id, Incident.status.in_([s.value for s in OPEN_STATUSES]))
        .order_by(Incident.id.desc())
        .limit(1)
    )
    return await ctx.session.scalar(statement)


async def ask_cancel(ctx: ActionContext, incident: Incident) -> list[Reply]:
    ctx.state.step = STEP_CONFIRM_CANCEL
    return [
        Reply(
            text=ctx.t("sos.cancel_confirm", reference=incident.reference),
            buttons=(
                Button(ctx.t("button.cancel_report", reference=incident.reference), "/affirm"),
                ctx.button("button.keep_report", "/deny"),
            ),
        )
    ]


async def confirm_cancel(ctx: ActionContext, incident: Incident, *, confirmed: bool) -> list[Reply]:
    if not confirmed:
        ctx.state.step = STEP_DETAILS
        return [Reply(text=ctx.t("sos.kept", reference=incident.reference))]
    await change_status(
        ctx.session,
        incident,
        IncidentStatus.CANCELLED,
        actor=actor_of(ctx),
        now=ctx.now,
        translator=ctx.translator,
        note="false alarm (cancelled by the reporter)",
        notify_reporter=False,
    )
    clear_flow(ctx)
    ctx.notify_responders(incident, "status_changed")
    return [Reply(text=ctx.t("sos.cancelled", reference=incident.reference)), menu_reply(ctx)]
