"""What an operator (or a CAP message) says an alert is, checked before anything is stored."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Annotated, Any

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from actions.alerts.areas import AlertArea, Circle
from actions.alerts.vocabulary import Certainty, Hazard, Severity, Urgency
from actions.domain import SUPPORTED_LANGUAGES
from actions.places.gazetteer import Gazetteer
from actions.places.geo import Point

# Everything an alert of ours may cover: the island and the sea around it (Phi Phi is ~45 km away).
PHUKET_REGION = Circle(Point(7.95, 98.35), 60_000)

Latitude = Annotated[float, Field(ge=-90, le=90)]
Longitude = Annotated[float, Field(ge=-180, le=180)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
Headline = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]


class FieldError(BaseModel):
    """One problem with the input: where (`loc`, as in FastAPI's errors) and what."""

    loc: list[str | int]
    msg: str


class AlertValidationError(ValueError):
    """The input cannot become an alert; `errors` says every reason found."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(f"{'.'.join(map(str, e.loc))}: {e.msg}" for e in errors))
        self.errors = errors

    @classmethod
    def one(cls, loc: list[str | int], msg: str) -> AlertValidationError:
        return cls([FieldError(loc=loc, msg=msg)])


def field_errors(errors: Iterable[Mapping[str, Any]], *, skip: int = 0) -> list[FieldError]:
    """Pydantic's error dicts as FieldErrors, without pydantic's "Value error, " prefix.

    Args:
        errors: ``ValidationError.errors()`` or ``RequestValidationError.errors()``.
        skip: Leading parts of each location to leave out (FastAPI's ``"body"``).
    """
    return [
        FieldError(loc=list(error["loc"])[skip:], msg=str(error["msg"]).removeprefix("Value error, "))
        for error in errors
    ]


class CircleDraft(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lat: Latitude
    lon: Longitude
    # Up to 500 km: a whole-region warning is better sent as `all_phuket`.
    radius_m: Annotated[float, Field(gt=0, le=500_000)]


class AreaDraft(BaseModel):
    """Named gazetteer zones, circles and polygons ([lat, lon] pairs), or all of Phuket."""

    model_config = ConfigDict(extra="forbid")

    zones: list[Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]] = []
    circles: list[CircleDraft] = []
    polygons: list[list[tuple[Latitude, Longitude]]] = []
    all_phuket: bool = False

    @model_validator(mode="after")
    def _shapes(self) -> AreaDraft:
        named = bool(self.zones or self.circles or self.polygons)
        if named == self.all_phuket:
            raise ValueError("give zones, circles or polygons, or all_phuket: true (not both, not neither)")
        polygons = []
        for index, polygon in enumerate(self.polygons):
            # CAP closes polygons (last point = first); stored polygons are open.
            points = polygon[:-1] if len(polygon) > 1 and polygon[0] == polygon[-1] else polygon
            if len(set(points)) < 3:
                raise ValueError(f"polygon {index} needs at least 3 distinct [lat, lon] points")
            polygons.append(points)
        self.polygons = polygons
        return self

    def to_area(self) -> AlertArea:
        return AlertArea(
            zones=tuple(self.zones),
            circles=tuple(Circle(Point(c.lat, c.lon), c.radius_m) for c in self.circles),
            polygons=tuple(tuple(Point(lat, lon) for lat, lon in polygon) for polygon in self.polygons),
        )

    @classmethod
    def from_area(cls, area: AlertArea) -> AreaDraft:
        return cls(
            zones=list(area.zones),
            circles=[
                CircleDraft(lat=c.center.lat, lon=c.center.lon, radius_m=c.radius_m) for c in area.circles
            ],
            polygons=[[(p.lat, p.lon) for p in polygon] for polygon in area.polygons],
            all_phuket=area.is_everywhere,
        )


def _check_languages(field: str, texts: dict[str, Any]) -> None:
    unknown = sorted(set(texts) - set(SUPPORTED_LANGUAGES))
    if unknown:
        raise ValueError(
            f"{field}: unsupported language(s) {', '.join(unknown)}; "
            f"supported: {' '.join(SUPPORTED_LANGUAGES)}"
        )


class AlertDraft(BaseModel):
    """The content of an alert, as the JSON API takes it; a CAP message is mapped onto it.

    Headline and instruction are required in at least one supported language, the same languages
    for both; readers of the other languages get the standard wording of the hazard in their
    language with the original headline (:meth:`fallback_languages`).
    """

    model_config = ConfigDict(extra="forbid")

    hazard: Hazard
    severity: Severity
    urgency: Urgency
    certainty: Certainty
    area: AreaDraft
    headline: dict[str, Headline]
    instruction: dict[str, Text]
    description: dict[str, Text] = {}
    # Absent: from now on. `expires` absent: in force until cancelled or updated.
    effective: AwareDatetime | None = None
    expires: AwareDatetime | None = None

    @model_validator(mode="after")
    def _texts_and_times(self) -> AlertDraft:
        for field in ("headline", "instruction", "description"):
            _check_languages(field, getattr(self, field))
        if not self.headline and not self.instruction:
            raise ValueError(
                "headline and instruction are required in at least one supported language "
                f"({' '.join(SUPPORTED_LANGUAGES)})"
            )
        if set(self.headline) != set(self.instruction):
            raise ValueError(
                "headline and instruction must be given in the same languages "
                f"(headline: {' '.join(sorted(self.headline))}; "
                f"instruction: {' '.join(sorted(self.instruction))})"
            )
        if self.effective and self.expires and self.expires <= self.effective:
            raise ValueError("expires must be after effective")
        return self

    def fallback_languages(self) -> list[str]:
        """The supported languages this alert has no text in: their readers get the standard wording."""
        return [lang for lang in SUPPORTED_LANGUAGES if lang not in self.headline]

    def check(self, gazetteer: Gazetteer, now: datetime) -> None:
        """What the model alone cannot check: zones of the gazetteer, an area in Phuket, expiry ahead.

        Raises:
            AlertValidationError: naming every unknown zone, an area far away, an expiry passed.
        """
        errors = [
            FieldError(
                loc=["area", "zones", index],
                msg=f"unknown zone {zone!r}; zones are gazetteer ids such as 'patong' or 'kata'",
            )
            for index, zone in enumerate(self.area.zones)
            if gazetteer.get(zone) is None
        ]
        if (
            not errors
            and not self.area.all_phuket
            and not self.area.to_area().touches(PHUKET_REGION, gazetteer)
        ):
            errors.append(FieldError(loc=["area"], msg="the area is nowhere near Phuket"))
        if self.expires is not None and self.expires <= now:
            errors.append(
                FieldError(loc=["expires"], msg=f"expires ({self.expires.isoformat()}) is in the past")
            )
        if errors:
            raise AlertValidationError(errors)
