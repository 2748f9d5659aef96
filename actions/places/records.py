"""A validated place record, whatever file it came from."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from actions.domain import SUPPORTED_LANGUAGES, PlaceKind

REQUIRED_NAME_LANGUAGES = ("th", "en")


class PlaceRecord(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    external_id: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:\-]+$")]
    kind: PlaceKind
    names: dict[str, str]
    lat: Annotated[float, Field(ge=-90, le=90)]
    lon: Annotated[float, Field(ge=-180, le=180)]
    phone: Annotated[str | None, Field(max_length=64)] = None
    area: Annotated[str | None, Field(max_length=64)] = None
    source: Annotated[str, Field(min_length=1, max_length=255)]
    verified: bool = False

    @field_validator("names")
    @classmethod
    def _names_cover_required_languages(cls, names: dict[str, str]) -> dict[str, str]:
        cleaned = {lang: name.strip() for lang, name in names.items() if name and name.strip()}
        unknown = sorted(set(cleaned) - set(SUPPORTED_LANGUAGES))
        if unknown:
            raise ValueError(f"unsupported name language(s): {', '.join(unknown)}")
        missing = [lang for lang in REQUIRED_NAME_LANGUAGES if lang not in cleaned]
        if missing:
            raise ValueError(f"a name is required in: {', '.join(missing)}")
        return cleaned

    @field_validator("phone", "area")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value or None
