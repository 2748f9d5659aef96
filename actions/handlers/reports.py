"""A reporter's own incidents: by reference or the latest, with their history. Only their own."""

from __future__ import annotations

import re

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from actions.context import ActionContext
from actions.db.models import Incident
from actions.domain import INTERNAL_EVENT_KINDS
from actions.handlers.warnings import local_time
from actions.incidents import normalize_reference
from actions.replies import Reply

_NUMBER = re.compile(r"#?\s*(\d{1,9})\b")


def _wanted_reference(ctx: ActionContext) -> tuple[str | None, int | None]:
    """A PKT reference (from the entity or the text), or an incident number like `#42`.

    A bare number counts only when the NLU marked it as a `case_id`: "my 2 kids" is no reference.
    """
    case_id = ctx.entities.get("case_id") or ""
    if reference := normalize_reference(case_id) or normalize_reference(ctx.text or ""):
        return reference, None
    if match := _NUMBER.search(case_id):
        return None, int(match.group(1))
    return None, None


def _event_text(ctx: ActionContext, kind: str, data: dict[str, object], text: str | None) -> str:
    if kind == "status_changed":
        status = ctx.t(f"status.name.{data.get('to', 'new')}")
        return ctx.t("event.status_changed", status=status)
    if kind == "note":
        return ctx.t("event.note", text=text or "")
    return ctx.t(f"event.{kind}")


async def incident_status(ctx: ActionContext) -> list[Reply]:
    reference, number = _wanted_reference(ctx)
    # Every query is limited to this user's incidents: nobody ever sees another user's report,
    # and "not found" looks the same whether the reference does not exist or is someone else's.
    mine = select(Incident).where(Incident.user_id == ctx.user.id).options(selectinload(Incident.events))
    if reference:
        incident = await ctx.session.scalar(mine.where(Incident.reference == reference))
    elif number is not None:
        incident = await ctx.session.scalar(mine.where(Incident.id == number))
    else:
        incident = await ctx.session.scalar(mine.order_by(Incident.id.desc()).limit(1))
    if incident is None:
        if reference or number is not None:
            shown = reference or f"#{number}"
            return [Reply(text=ctx.t("status.not_found", reference=shown))]
        return [Reply(text=ctx.t("status.none"))]
    lines = [
        ctx.t(
            "status.header",
            reference=incident.reference,
            type=ctx.t(f"type.{incident.incident_type}"),
            status=ctx.t(f"status.name.{incident.status}"),
        )
    ]
    for event in incident.events:
        if event.kind in INTERNAL_EVENT_KINDS:
            continue
        lines.append(
            ctx.t(
                "status.event",
                time=local_time(ctx, event.created_at),
                event=_event_text(ctx, event.kind, event.data, event.text),
            )
        )
    if not reference and number is None:
        count = await ctx.session.scalar(
            select(func.count()).select_from(Incident).where(Incident.user_id == ctx.user.id)
        )
        if count and count > 1:
            lines.append(ctx.t("status.more", count=count - 1, reference=incident.reference))
    return [Reply(text="\n".join(lines))]
