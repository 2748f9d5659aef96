"""A scripted conversation through `POST /api/v1/chat`, as the web chat holds one."""

from __future__ import annotations

import base64
import itertools
from dataclasses import dataclass, field
from typing import Any

import httpx

_ids = itertools.count(1)


@dataclass
class Conversation:
    client: httpx.AsyncClient
    user_id: str
    last: dict[str, Any] = field(default_factory=dict)

    async def send(self, body: dict[str, Any]) -> dict[str, Any]:
        body = {"user_id": self.user_id, "message_id": f"{self.user_id}-{next(_ids)}", **body}
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
