"""Where the user is: a shared location, a place name, or the last location they gave us."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from actions.context import ActionContext
from actions.places.gazetteer import Area
from actions.places.geo import Point

# A location shared longer ago than this may no longer be where the user is.
LAST_LOCATION_MAX_AGE = timedelta(hours=6)


@dataclass(frozen=True, slots=True)
class Origin:
    point: Point
    label: str | None
    area: Area | None = None


def named_area(ctx: ActionContext) -> Area | None:
    """The area named by the NLU's `location` entity, else any area name found in the text."""
    if (name := ctx.entities.get("location")) and (area := ctx.gazetteer.lookup(name)):
        return area
    if ctx.text and (match := ctx.gazetteer.find(ctx.text)):
        return match.area
    return None


def remember_location(ctx: ActionContext, point: Point) -> None:
    ctx.user.last_lat, ctx.user.last_lon = point.lat, point.lon
    ctx.user.last_location_at = ctx.now


def resolve_origin(ctx: ActionContext, *, use_last_known: bool = True) -> Origin | None:
    if ctx.location is not None:
        remember_location(ctx, ctx.location)
        return Origin(ctx.location, None)
    if area := named_area(ctx):
        return Origin(area.point, area.name(ctx.language), area)
    user = ctx.user
    if (
        use_last_known
        and user.last_lat is not None
        and user.last_lon is not None
        and user.last_location_at is not None
        and ctx.now - user.last_location_at <= LAST_LOCATION_MAX_AGE
    ):
        return Origin(Point(user.last_lat, user.last_lon), None)
    return None
