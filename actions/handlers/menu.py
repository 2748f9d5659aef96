"""Greeting, help menu, small talk and the answer to what the bot does not understand."""

from __future__ import annotations

from actions.context import ActionContext
from actions.replies import Button, Reply


def menu_buttons(ctx: ActionContext) -> tuple[Button, ...]:
    return (
        ctx.button("button.sos", "/report_emergency"),
        ctx.button("button.shelter", "/find_shelter"),
        ctx.button("button.hospital", "/find_hospital"),
        ctx.button("button.police", "/find_police"),
        ctx.button("button.warnings", "/warning_status"),
        ctx.button("button.numbers", "/emergency_numbers"),
    )


def menu_reply(ctx: ActionContext, key: str = "menu.intro") -> Reply:
    return Reply(text=ctx.t(key), buttons=menu_buttons(ctx))


async def greet(ctx: ActionContext) -> list[Reply]:
    return [Reply(text=ctx.t("greet")), menu_reply(ctx)]


async def show_help(ctx: ActionContext) -> list[Reply]:
    return [menu_reply(ctx, "help")]


async def goodbye(ctx: ActionContext) -> list[Reply]:
    return [Reply(text=ctx.t("goodbye"))]


async def thank(ctx: ActionContext) -> list[Reply]:
    return [Reply(text=ctx.t("thank"))]


async def not_understood(ctx: ActionContext) -> list[Reply]:
    return [menu_reply(ctx, "out_of_scope")]


async def understanding_unavailable(ctx: ActionContext) -> list[Reply]:
    """The NLU service is down and the message did not look like an SOS: numbers and the menu."""
    return [menu_reply(ctx, "nlu_unavailable")]
