"""Multi-turn flows: which one a user is in, what it has gathered, and when it expires."""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum
from typing import Any

from actions.context import ActionContext


class Flow(StrEnum):
    FIND_PLACES = "find_places"
    SOS = "sos"
    SUBSCRIBE = "subscribe"


def start_flow(ctx: ActionContext, flow: Flow, slots: dict[str, Any], *, step: str | None = None) -> None:
    state = ctx.state
    state.flow = flow.value
    state.step = step
    state.slots = dict(slots)
    state.updated_at = ctx.now
    state.expires_at = ctx.now + timedelta(minutes=ctx.flow_timeout_minutes)


def clear_flow(ctx: ActionContext) -> None:
    state = ctx.state
    state.flow = state.step = None
    state.slots = {}
    state.incident_id = None
    state.expires_at = None


def active_flow(ctx: ActionContext) -> Flow | None:
    state = ctx.state
    if state.flow is None:
        return None
    if state.expires_at is not None and state.expires_at < ctx.now:
        clear_flow(ctx)
        return None
    return Flow(state.flow)
