"""Which warnings are in force, for the user's place, a named area, or all of Phuket."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_datetime

from actions.alerts import Circle, alerts_in_force
from actions.alerts.presentation import fallback_wording, hazard_key, severity_icon, severity_key
from actions.context import ActionContext
from actions.db.models import Alert
from actions.handlers.location import resolve_origin
from actions.replies import Reply

PHUKET_TIME = ZoneInfo("Asia/Bangkok")
# Around a shared location, alerts within this distance concern the user.
NEARBY_RADIUS_M = 3_000


def local_time(ctx: ActionContext, moment: datetime) -> str:
    """A time as people in Phuket read it (ICT), in the user's language."""
    return format_datetime(moment.astimezone(PHUKET_TIME), "d MMM HH:mm", locale=ctx.language) + " (ICT)"


def alert_text(ctx: ActionContext, alert: Alert) -> str:
    """The alert in the user's language: the agency's own words, or our fallback wording."""
    issued = local_time(ctx, alert.effective)
    fallback = fallback_wording(alert, ctx.language, ctx.translator)
    if fallback is not None:
        return ctx.t(
            "warnings.item_fallback",
            icon=severity_icon(alert),
            summary=fallback.summary,
            instruction=fallback.instruction,
            original=fallback.original,
            agency=alert.agency,
            issued=issued,
        )
    return ctx.t(
        "warnings.item",
        icon=severity_icon(alert),
        hazard=ctx.t(hazard_key(alert)),
        severity=ctx.t(severity_key(alert)),
        headline=alert.headline[ctx.language],
        instruction=alert.instruction.get(ctx.language, ""),
        agency=alert.agency,
        issued=issued,
    )


async def warning_status(ctx: ActionContext) -> list[Reply]:
    origin = resolve_origin(ctx)
    if origin is None:
        label = ctx.t("warnings.all_phuket")
        alerts = await alerts_in_force(ctx.session, ctx.now)
    else:
        label = origin.label or ctx.t("subscribe.your_location")
        radius = origin.area.radius_m if origin.area else NEARBY_RADIUS_M
        alerts = await alerts_in_force(
            ctx.session, ctx.now, near=Circle(origin.point, radius), gazetteer=ctx.gazetteer
        )
    if not alerts:
        return [Reply(text=ctx.t("warnings.none", area=label, time=local_time(ctx, ctx.now)))]
    items = "\n\n".join(alert_text(ctx, alert) for alert in alerts)
    return [Reply(text=f"{ctx.t('warnings.header', area=label)}\n\n{items}")]
