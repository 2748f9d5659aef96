"""Channel-neutral replies: what the bot says, rendered by each channel as well as it can.

A channel that cannot show buttons lists their titles; one that cannot ask for a location says
how to send a place name instead (see the channel renderers in :mod:`bot.channels`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Button:
    """A choice; `payload` is sent back as if typed (``/find_hospital`` skips the NLU)."""

    title: str
    payload: str


@dataclass(frozen=True, slots=True)
class PlaceCard:
    name: str
    lat: float
    lon: float
    map_url: str
    distance_m: float | None = None
    phone: str | None = None
    kind: str | None = None


@dataclass(frozen=True, slots=True)
class Reply:
    text: str
    buttons: tuple[Button, ...] = ()
    request_location: bool = False
    places: tuple[PlaceCard, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "buttons": [{"title": b.title, "payload": b.payload} for b in self.buttons],
            "request_location": self.request_location,
            "places": [
                {
                    "name": p.name,
                    "lat": p.lat,
                    "lon": p.lon,
                    "map_url": p.map_url,
                    "distance_m": None if p.distance_m is None else round(p.distance_m),
                    "phone": p.phone,
                    "kind": p.kind,
                }
                for p in self.places
            ],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Reply:
        return cls(
            text=data["text"],
            buttons=tuple(Button(b["title"], b["payload"]) for b in data.get("buttons", ())),
            request_location=bool(data.get("request_location")),
            places=tuple(
                PlaceCard(
                    name=p["name"],
                    lat=p["lat"],
                    lon=p["lon"],
                    map_url=p["map_url"],
                    distance_m=p.get("distance_m"),
                    phone=p.get("phone"),
                    kind=p.get("kind"),
                )
                for p in data.get("places", ())
            ),
        )
