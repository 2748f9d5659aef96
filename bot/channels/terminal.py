"""The terminal chat: the same dialogue as every channel, rendered as plain text."""

from __future__ import annotations

import asyncio
import re
import uuid

import click

from actions.domain import Channel
from actions.places.geo import Point
from actions.replies import Button, Reply
from bot.channels.base import IncomingMessage
from bot.runtime import open_runtime
from bot.settings import Settings

_LOCATION = re.compile(r"^/loc(?:ation)?\s+(-?\d+(?:\.\d+)?)\s*[, ]\s*(-?\d+(?:\.\d+)?)\s*$")


def render_plain(reply: Reply, *, numbered_from: int = 1) -> str:
    """A reply as plain text: buttons become numbered choices (the channel has no buttons)."""
    lines = [reply.text]
    for number, button in enumerate(reply.buttons, start=numbered_from):
        lines.append(f"  [{number}] {button.title}")
    if reply.request_location:
        lines.append("  (send /loc LAT,LON or a place name)")
    return "\n".join(lines)


def parse_input(line: str, choices: list[Button]) -> IncomingMessage | None:
    line = line.strip()
    if not line:
        return None
    if line.isdigit() and 1 <= int(line) <= len(choices):
        line = choices[int(line) - 1].payload
    location = None
    if match := _LOCATION.match(line):
        location = Point(float(match.group(1)), float(match.group(2)))
    return IncomingMessage(
        channel=Channel.TERMINAL,
        user_id="",
        text=None if location else line,
        location=location,
        message_id=str(uuid.uuid4()),
    )


async def run_terminal_chat(settings: Settings, user_id: str) -> None:
    async with open_runtime(settings) as runtime:
        click.echo("Phuket Safety chat. Type a message, a button number, /loc LAT,LON; Ctrl-D ends.")
        choices: list[Button] = []
        while True:
            try:
                line = await asyncio.to_thread(input, "you> ")
            except (EOFError, KeyboardInterrupt):
                click.echo()
                return
            parsed = parse_input(line, choices)
            if parsed is None:
                continue
            message = IncomingMessage(
                channel=parsed.channel,
                user_id=user_id,
                text=parsed.text,
                location=parsed.location,
                message_id=parsed.message_id,
            )
            result = await runtime.dialogue.handle(message)
            choices = []
            for reply in result.replies:
                click.echo("bot> " + render_plain(reply, numbered_from=len(choices) + 1))
                choices.extend(reply.buttons)
