"""Responders hear of every incident and every update, through the configured webhook."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import pytest

from tests.bot.chat import Conversation
from tests.bot.conftest import make_settings, running_app
from tests.conftest import free_port


class WebhookReceiver:
    """A real HTTP endpoint on 127.0.0.1 that records the JSON bodies posted to it."""

    def __init__(self) -> None:
        self.bodies: list[dict] = []
        self.port = free_port()
        self.server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/incidents"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(
            int(line.split(b":")[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length")
        )
        self.bodies.append(json.loads(await reader.readexactly(length)))
        writer.write(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        await writer.drain()
        writer.close()

    async def __aenter__(self) -> WebhookReceiver:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.close()


@pytest.fixture
async def receiver() -> AsyncIterator[WebhookReceiver]:
    async with WebhookReceiver() as running:
        yield running


async def test_responders_get_the_new_incident_and_each_update(database_url, dead_nlu_url, receiver):
    # The keyword detector (NLU down) is enough to open the incident; buttons drive the rest.
    settings = make_settings(database_url, dead_nlu_url, responder_webhook_url=receiver.url)
    async with running_app(settings) as (app, client):
        chat = Conversation(client, "reporter")
        await chat.say("ช่วยด้วย มีคนจมน้ำ")
        await chat.share_location(7.8205, 98.2980)
        await app.state.runtime.notifier.drain()
    reference = chat.last["incident_reference"]
    assert [body["event"] for body in receiver.bodies] == ["created", "location"]
    created, located = receiver.bodies
    assert created["reference"] == reference
    assert created["incident_type"] == "drowning"
    assert created["language"] == "th"
    assert created["location"] is None
    assert located["location"] == {"lat": 7.8205, "lon": 98.298}
    assert located["map_url"].startswith("https://www.google.com/maps/")
