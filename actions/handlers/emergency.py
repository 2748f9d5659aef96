"""SOS: record the incident first, then give the numbers, then gather location and details."""

from __future__ import annotations

import logging

from actions.context import ActionContext
from actions.db.models import Incident
from actions.domain import EventKind, IncidentType
from actions.flows import Flow, start_flow
from actions.handlers.location import named_area, remember_location
from actions.handlers.numbers import numbers_text
from actions.incidents import add_event, create_incident
from actions.places.geo import map_link
from actions.replies import Reply

logger = logging.getLogger(__name__)

STEP_LOCATION = "location"
STEP_DETAILS = "details"


def parse_incident_type(value: str | None) -> IncidentType:
    try:
        return IncidentType(value) if value else IncidentType.UNKNOWN
    except ValueError:
        return IncidentType.UNKNOWN


def actor_of(ctx: ActionContext) -> str:
    return f"{ctx.user.channel}:{ctx.user.channel_user_id}"


async def report_emergency(ctx: ActionContext, incident_type: IncidentType) -> list[Reply]:
    incident = await create_incident(
        ctx.session,
        user=ctx.user,
        incident_type=incident_type,
        language=ctx.language,
        raw_text=ctx.text,
        now=ctx.now,
        actor=actor_of(ctx),
    )
    logger.warning("SOS %s (%s) from %s", incident.reference, incident_type, actor_of(ctx))
    start_flow(ctx, Flow.SOS, {"reference": incident.reference}, step=STEP_LOCATION)
    ctx.state.incident_id = incident.id
    replies = [
        Reply(
            text=ctx.t(
                "sos.created",
                reference=incident.reference,
                numbers=numbers_text(ctx, incident_type),
            )
        )
    ]
    # The first message may already say where: record it and go straight to the details.
    if ctx.location is not None or named_area(ctx) is not None:
        replies += await _record_location(ctx, incident)
    else:
        replies.append(Reply(text=ctx.t("sos.ask_location"), request_location=True))
    return replies


async def _record_location(ctx: ActionContext, incident: Incident) -> list[Reply]:
    if ctx.location is not None:
        point, label = ctx.location, None
        remember_location(ctx, point)
    elif (area := named_area(ctx)) is not None:
        point, label = area.point, area.name("en")
    else:
        return [Reply(text=ctx.t("sos.ask_location"), request_location=True)]
    incident.lat, incident.lon = point.lat, point.lon
    incident.location_text = label or ctx.text
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
    return [Reply(text=ctx.t("sos.ask_details", reference=incident.reference))]


async def continue_emergency(ctx: ActionContext, incident: Incident) -> list[Reply]:
    """A message inside the SOS flow: a location, or details added to the same incident."""
    if ctx.state.step == STEP_LOCATION and (ctx.location is not None or named_area(ctx)):
        return await _record_location(ctx, incident)
    if ctx.location is not None:
        return await _record_location(ctx, incident)
    await add_event(ctx.session, incident, EventKind.DETAILS, actor=actor_of(ctx), now=ctx.now, text=ctx.text)
    # The flow stays open (until it expires) so that a photo or more details join this incident.
    ctx.state.step = STEP_DETAILS
    return [Reply(text=ctx.t("sos.details_added", reference=incident.reference))]
