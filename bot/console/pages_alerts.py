"""Warnings in the console: compose on the map, see the reach before sending, issue (or wait for a
second person's approval), follow delivery per channel live, update, cancel, and the CAP link."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import Request
from pydantic import ValidationError
from sqlalchemy import select
from starlette.datastructures import FormData
from starlette.responses import Response

from actions.alerts import AlertDraft, AreaDraft, Certainty, Hazard, Severity, Urgency
from actions.alerts.draft import AlertValidationError, field_errors
from actions.alerts.service import get_alert, is_in_force, list_alerts
from actions.broadcast import delivery_counts_per_channel
from actions.console import Permission
from actions.console import alerts as rules
from actions.db.base import utcnow
from actions.db.models import AlertApproval, ConsoleUser
from actions.domain import SUPPORTED_LANGUAGES, DeliveryStatus
from actions.places import default_gazetteer
from bot.console.auth import Signed, sessions_of
from bot.console.routing import console_router, refusal
from bot.console.templating import render

logger = logging.getLogger(__name__)

router = console_router()

RECENT_ALERTS = 50
EXPIRY_HOURS = (1, 2, 3, 6, 12, 24, 48, 72)


def _draft_from(form: FormData) -> AlertDraft:
    """The compose form as an AlertDraft.

    Raises:
        AlertValidationError: naming every problem (answered 400).
    """

    def text(name: str) -> str:
        value = form.get(name)
        return value.strip() if isinstance(value, str) else ""

    headline = {lang: text(f"headline_{lang}") for lang in SUPPORTED_LANGUAGES if text(f"headline_{lang}")}
    instruction = {
        lang: text(f"instruction_{lang}") for lang in SUPPORTED_LANGUAGES if text(f"instruction_{lang}")
    }
    try:
        area = json.loads(text("area") or "{}")
    except json.JSONDecodeError:
        area = {}
    hours = text("expires_in")
    expires = utcnow() + timedelta(hours=float(hours)) if hours.replace(".", "", 1).isdigit() else None
    try:
        return AlertDraft.model_validate(
            {
                "hazard": text("hazard"),
                "severity": text("severity"),
                "urgency": text("urgency"),
                "certainty": text("certainty"),
                "area": area,
                "headline": headline,
                "instruction": instruction,
                "expires": expires,
            }
        )
    except ValidationError as exc:
        raise AlertValidationError(field_errors(exc.errors())) from exc


def _choices() -> dict[str, Any]:
    return {
        "hazards": list(Hazard),
        "severities": list(Severity),
        "urgencies": list(Urgency),
        "certainties": list(Certainty),
        "languages": SUPPORTED_LANGUAGES,
        "expiry_hours": EXPIRY_HOURS,
    }


@router.get("/alerts")
async def alerts_page(request: Request, op: Signed) -> Response:
    now = datetime.now(UTC)
    async with sessions_of(request)() as session:
        _, recent = await list_alerts(session, now, in_force_only=False, limit=RECENT_ALERTS)
        approvals = await rules.pending_approvals(session, op.user.agency)
        requesters = await _accounts(session, {a.requested_by_id for a in approvals})
    context = {
        "op": op,
        "alerts": recent,
        "in_force": {alert.id for alert in recent if is_in_force(alert, now)},
        "approvals": approvals,
        "requesters": requesters,
        "settings": request.app.state.settings,
    }
    return render(request, "alerts.html", op.language, context)


async def _accounts(session: Any, ids: set[int]) -> dict[int, ConsoleUser]:
    if not ids:
        return {}
    return {u.id: u for u in await session.scalars(select(ConsoleUser).where(ConsoleUser.id.in_(ids)))}


@router.get("/alerts/new")
async def compose_page(request: Request, op: Signed, update: int | None = None) -> Response:
    """The compose form; ``?update=7`` starts from alert 7's content (a CAP Update)."""
    op.require(Permission.ISSUE_ALERTS)
    replaces = None
    if update is not None:
        async with sessions_of(request)() as session:
            replaces = await get_alert(session, update)
    context = {
        "op": op,
        "replaces": replaces,
        "settings": request.app.state.settings,
        "approval_required": request.app.state.settings.alert_approval_required,
        **_choices(),
    }
    return render(request, "alert_form.html", op.language, context)


@router.post("/alerts/reach")
async def reach(request: Request, op: Signed) -> Response:
    """How many subscribers the drawn area reaches, before anything is sent."""
    form = await request.form()
    raw = form.get("area")
    try:
        area = AreaDraft.model_validate(json.loads(raw) if isinstance(raw, str) and raw else {})
    except (ValidationError, json.JSONDecodeError):
        return render(request, "_reach.html", op.language, {"reach": None})
    async with sessions_of(request)() as session:
        found = await rules.reach(session, area, gazetteer=default_gazetteer())
    return render(request, "_reach.html", op.language, {"reach": found})


@router.post("/alerts")
async def issue(request: Request, op: Signed) -> Response:
    """Issue the composed alert (or its update), or keep it for approval; then show where it went."""
    form = await request.form()
    draft = _draft_from(form)
    settings = request.app.state.settings
    replaces_id = form.get("replaces")
    async with sessions_of(request)() as session:
        replaces = None
        if isinstance(replaces_id, str) and replaces_id.isdigit():
            replaces = await get_alert(session, int(replaces_id))
            if replaces is None:
                return refusal(request, 404, f"no alert {replaces_id}")
        result = await rules.issue(
            session,
            draft,
            op.user,
            now=utcnow(),
            gazetteer=default_gazetteer(),
            approval_required=settings.alert_approval_required,
            replaces=replaces,
        )
        await session.commit()
    target = "/console/alerts" if isinstance(result, AlertApproval) else f"/console/alerts/{result.alert.id}"
    return Response(status_code=204, headers={"HX-Redirect": target})


async def _alert_context(request: Request, op: Any, alert_id: int) -> dict[str, Any] | None:
    async with sessions_of(request)() as session:
        alert = await get_alert(session, alert_id)
        if alert is None:
            return None
        per_channel = await delivery_counts_per_channel(session, alert_id)
    return {
        "op": op,
        "alert": alert,
        "in_force": is_in_force(alert, datetime.now(UTC)),
        "per_channel": per_channel,
        "states": [state.value for state in DeliveryStatus],
        "settings": request.app.state.settings,
    }


async def _alert_view(request: Request, op: Signed, alert_id: int, template: str) -> Response:
    context = await _alert_context(request, op, alert_id)
    if context is None:
        return refusal(request, 404, f"no alert {alert_id}")
    return render(request, template, op.language, context)


@router.get("/alerts/{alert_id}")
async def alert_page(request: Request, op: Signed, alert_id: int) -> Response:
    return await _alert_view(request, op, alert_id, "alert.html")


@router.get("/alerts/{alert_id}/progress")
async def alert_progress(request: Request, op: Signed, alert_id: int) -> Response:
    """The delivery counts per channel (htmx redraws them on a live event)."""
    return await _alert_view(request, op, alert_id, "_progress.html")


@router.post("/alerts/{alert_id}/cancel")
async def cancel(request: Request, op: Signed, alert_id: int) -> Response:
    async with sessions_of(request)() as session:
        alert = await get_alert(session, alert_id)
        if alert is None:
            return refusal(request, 404, f"no alert {alert_id}")
        await rules.cancel(session, alert, op.user, now=utcnow(), reason="cancelled in the console")
        await session.commit()
    return Response(status_code=204, headers={"HX-Redirect": f"/console/alerts/{alert_id}"})


@router.post("/approvals/{approval_id}/{decision}")
async def decide(request: Request, op: Signed, approval_id: int, decision: str) -> Response:
    if decision not in {"approve", "reject"}:
        return refusal(request, 404, decision)
    async with sessions_of(request)() as session:
        approval = await session.get(AlertApproval, approval_id)
        if approval is None:
            return refusal(request, 404, f"no draft {approval_id}")
        result = await rules.decide(
            session,
            approval,
            op.user,
            approve=decision == "approve",
            now=utcnow(),
            gazetteer=default_gazetteer(),
        )
        await session.commit()
    target = f"/console/alerts/{result.alert.id}" if result else "/console/alerts"
    return Response(status_code=204, headers={"HX-Redirect": target})
