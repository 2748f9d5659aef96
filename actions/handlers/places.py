"""Find the nearest shelters, hospitals or police stations."""

from __future__ import annotations

import logging

from actions.context import ActionContext
from actions.domain import PlaceCategory
from actions.flows import Flow, clear_flow, start_flow
from actions.handlers.location import resolve_origin
from actions.places.geo import format_distance, map_link
from actions.places.repository import nearest_places
from actions.replies import PlaceCard, Reply

logger = logging.getLogger(__name__)

RESULT_COUNT = 3


def ask_for_location(ctx: ActionContext, key: str) -> Reply:
    return Reply(text=ctx.t(key), request_location=True)


async def find_places(ctx: ActionContext, category: PlaceCategory) -> list[Reply]:
    origin = resolve_origin(ctx)
    if origin is None:
        start_flow(ctx, Flow.FIND_PLACES, {"category": category.value})
        return [ask_for_location(ctx, f"places.ask_location.{category.value}")]
    clear_flow(ctx)
    found = await nearest_places(ctx.session, category, origin.point, limit=RESULT_COUNT)
    if not found:
        return [Reply(text=ctx.t(f"places.none.{category.value}"))]
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
    return [Reply(text="\n".join(lines), places=tuple(cards))]
