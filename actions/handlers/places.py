"""Find the nearest shelters, hospitals or police stations."""

from __future__ import annotations

import logging

from actions.alerts import Circle, alerts_in_force
from actions.context import ActionContext
from actions.domain import PlaceCategory, PlaceKind
from actions.flows import Flow, clear_flow, start_flow
from actions.handlers.location import resolve_origin
from actions.places.geo import Point, format_distance, map_link
from actions.places.repository import nearest_places
from actions.replies import PlaceCard, Reply

logger = logging.getLogger(__name__)

RESULT_COUNT = 3
# A tsunami warning this close to the user's position concerns them.
TSUNAMI_ALERT_RADIUS_M = 10_000


def ask_for_location(ctx: ActionContext, key: str) -> Reply:
    return Reply(text=ctx.t(key), request_location=True)


async def find_places(ctx: ActionContext, category: PlaceCategory) -> list[Reply]:
    origin = resolve_origin(ctx)
    if origin is None:
        start_flow(ctx, Flow.FIND_PLACES, {"category": category.value})
        return [ask_for_location(ctx, f"places.ask_location.{category.value}")]
    clear_flow(ctx)
    tsunami = category is PlaceCategory.SHELTER and await _tsunami_warning_near(ctx, origin.point)
    # During a tsunami warning only high ground counts: evacuation points, not buildings.
    kinds = (PlaceKind.EVACUATION_POINT.value,) if tsunami else None
    found = await nearest_places(ctx.session, category, origin.point, limit=RESULT_COUNT, kinds=kinds)
    if not found and kinds:
        found = await nearest_places(ctx.session, category, origin.point, limit=RESULT_COUNT)
    warning = [Reply(text=ctx.t("places.tsunami_warning"))] if tsunami else []
    if not found:
        return [*warning, Reply(text=ctx.t(f"places.none.{category.value}"))]
    if origin.label:
        header = ctx.t(f"places.header_near.{category.value}", origin=origin.label)
    else:
        header = ctx.t(f"places.header.{category.value}")
    lines = [header]
    cards = []
    for rank, item in enumerate(found, start=1):
        name = item.name(ctx.language)
        url = map_link(item.point)
        lines.append(ctx.t("places.item", rank=rank, name=name, distance=format_distance(item.distance_m)))
        if item.place.phone:
            lines.append(ctx.t("places.phone", phone=item.place.phone))
        lines.append(url)
        cards.append(
            PlaceCard(
                name=name,
                lat=item.place.lat,
                lon=item.place.lon,
                map_url=url,
                distance_m=item.distance_m,
                phone=item.place.phone,
                kind=item.place.kind,
            )
        )
    return [*warning, Reply(text="\n".join(lines), places=tuple(cards))]


async def _tsunami_warning_near(ctx: ActionContext, point: Point) -> bool:
    nearby = Circle(point, TSUNAMI_ALERT_RADIUS_M)
    alerts = await alerts_in_force(
        ctx.session, ctx.now, near=nearby, gazetteer=ctx.gazetteer, hazard="tsunami"
    )
    return bool(alerts)
