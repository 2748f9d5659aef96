"""A scripted conversation through `POST /api/v1/chat`, as the web chat holds one.

Each conversation is one browser: its own HTTP client, so its own cookie jar and so its own
server-issued identity (two conversations on one client would be one user).
"""

from __future__ import annotations

import base64
import itertools
from dataclasses import dataclass, field
from typing import Any

import httpx

_ids = itertools.count(1)


def browser(client: httpx.AsyncClient) -> httpx.AsyncClient:
    """Another client of the same app with a cookie jar of its own (a second browser)."""
    return httpx.AsyncClient(transport=client._transport, base_url=client.base_url)


@dataclass
class Conversation:
    app_client: httpx.AsyncClient
    name: str
    last: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.client = browser(self.app_client)

    async def send(self, body: dict[str, Any]) -> dict[str, Any]:
        body = {"message_id": f"{self.name}-{next(_ids)}", **body}
        response = await self.client.post("/api/v1/chat", json=body)
        assert response.status_code == 200, response.text
        self.last = response.json()
        return self.last

    async def say(self, text: str) -> str:
        await self.send({"text": text})
        return self.text

    async def share_location(self, lat: float, lon: float) -> str:
        await self.send({"location": {"lat": lat, "lon": lon}})
        return self.text

    async def send_photo(self, data: bytes = b"\xff\xd8\xff\xe0fake-jpeg-bytes") -> str:
        await self.send({"photo": {"content_type": "image/jpeg", "data": base64.b64encode(data).decode()}})
        return self.text

    @property
    def text(self) -> str:
        return "\n".join(reply["text"] for reply in self.last["replies"])

    @property
    def language(self) -> str:
        return str(self.last["language"])

    @property
    def payloads(self) -> list[str]:
        return [b["payload"] for reply in self.last["replies"] for b in reply["buttons"]]

    @property
    def places(self) -> list[dict[str, Any]]:
        return [p for reply in self.last["replies"] for p in reply["places"]]

    @property
    def asks_for_location(self) -> bool:
        return any(reply["request_location"] for reply in self.last["replies"])
