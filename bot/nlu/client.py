"""Async client of the Rasa NLU service (`POST /model/parse`) with a short timeout."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import httpx

logger = logging.getLogger(__name__)


class NluUnavailable(Exception):
    """The NLU service did not answer in time or answered with an error."""


@dataclass(frozen=True, slots=True)
class Entity:
    entity: str
    value: str
    start: int | None = None
    end: int | None = None
    confidence: float | None = None


@dataclass(frozen=True, slots=True)
class ParseResult:
    text: str
    intent: str | None
    confidence: float
    entities: tuple[Entity, ...] = ()
    language: str | None = None
    language_confidence: float = 0.0
    ranking: tuple[tuple[str, float], ...] = field(default=())

    def entity(self, name: str) -> str | None:
        return next((e.value for e in self.entities if e.entity == name), None)

    @classmethod
    def from_rasa(cls, data: dict[str, Any]) -> ParseResult:
        intent = data.get("intent") or {}
        language = data.get("language") or {}
        if isinstance(language, str):
            language = {"code": language, "confidence": 1.0}
        return cls(
            text=str(data.get("text", "")),
            intent=intent.get("name"),
            confidence=float(intent.get("confidence") or 0.0),
            entities=tuple(
                Entity(
                    entity=str(e["entity"]),
                    value=str(e.get("value", "")),
                    start=e.get("start"),
                    end=e.get("end"),
                    confidence=e.get("confidence_entity"),
                )
                for e in data.get("entities") or ()
                if e.get("entity")
            ),
            language=language.get("code"),
            language_confidence=float(language.get("confidence") or 0.0),
            ranking=tuple(
                (str(item["name"]), float(item["confidence"])) for item in data.get("intent_ranking") or ()
            ),
        )


class NluClient:
    def __init__(
        self,
        base_url: str,
        *,
        token: str | None = None,
        timeout_s: float = 1.5,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._params = {"token": token} if token else {}
        self._client = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            timeout=httpx.Timeout(timeout_s, connect=min(timeout_s, 0.5)),
            transport=transport,
        )

    async def parse(self, text: str) -> ParseResult:
        try:
            response = await self._client.post("/model/parse", params=self._params, json={"text": text})
            response.raise_for_status()
            return ParseResult.from_rasa(response.json())
        except (httpx.HTTPError, ValueError, KeyError) as exc:
            raise NluUnavailable(f"{type(exc).__name__}: {exc}") from exc

    async def ready(self) -> bool:
        """True when the service answers and has a model loaded."""
        try:
            response = await self._client.get("/status", params=self._params)
            return response.status_code == 200 and bool(response.json().get("model_file"))
        except (httpx.HTTPError, ValueError):
            return False

    async def aclose(self) -> None:
        await self._client.aclose()
