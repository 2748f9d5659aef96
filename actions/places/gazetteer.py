"""Named areas, beaches and landmarks of Phuket, found in free text in any script."""

from __future__ import annotations

import json
import logging
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from actions.places.geo import Point

logger = logging.getLogger(__name__)

DEFAULT_GAZETTEER = Path(__file__).resolve().parents[2] / "data" / "places" / "areas.geojson"

_THAI_TONE_MARKS = re.compile("[\u0e48-\u0e4b]")
_SEPARATORS = "[\\s\\-'’.·・]*"
# Letters of scripts that separate words with spaces; a name must not be glued to one of them.
_SPACED_LETTERS = "a-z\u00c0-\u024f\u0400-\u04ff"
# Russian inflects names (Патонг, на Патонге, с Патонга): a short case ending may follow.
_CYRILLIC_ENDING = "[\u0430-\u044f\u0451]{0,3}"
# A katakana word runs until the katakana stops: "カタ" is Kata in カタの病院, not in カタログ.
_KATAKANA = "\u30a0-\u30ff"


def fold(text: str) -> str:
    """Fold text for matching: compatibility forms, case, Thai tone marks (often left out)."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return _THAI_TONE_MARKS.sub("", text)


def _is_spaced_script(text: str) -> bool:
    """Latin and Cyrillic names must not sit inside a longer word (Hangul takes particles)."""
    return any((ch.isalpha() and ch.isascii()) or "\u00c0" <= ch <= "\u04ff" for ch in text)


def _is_cyrillic(text: str) -> bool:
    return any("\u0400" <= ch <= "\u04ff" for ch in text)


@dataclass(frozen=True, slots=True)
class Area:
    id: str
    kind: str
    names: dict[str, str]
    point: Point
    radius_m: float
    aliases: tuple[str, ...] = field(default=())

    def name(self, language: str) -> str:
        return self.names.get(language) or self.names.get("en") or self.id

    def all_names(self) -> Iterable[str]:
        yield from self.names.values()
        yield from self.aliases


@dataclass(frozen=True, slots=True)
class AreaMatch:
    area: Area
    start: int
    end: int


class Gazetteer:
    """Looks up areas by id, by exact name or alias, or by the longest name found inside a text."""

    def __init__(self, areas: Iterable[Area]) -> None:
        self._areas = {area.id: area for area in areas}
        self._by_name: dict[str, Area] = {}
        patterns: list[tuple[str, str]] = []
        for area in self._areas.values():
            for name in {fold(n).strip() for n in area.all_names() if n.strip()}:
                self._by_name.setdefault(self._compact(name), area)
                patterns.append((name, area.id))
        # Longest names first so that "kata noi" wins over "kata".
        patterns.sort(key=lambda item: len(item[0]), reverse=True)
        self._patterns = [(re.compile(self._pattern(name)), area_id) for name, area_id in patterns]

    @staticmethod
    def _compact(name: str) -> str:
        return re.sub(_SEPARATORS, "", name)

    @staticmethod
    def _pattern(name: str) -> str:
        chars = [re.escape(ch) for ch in Gazetteer._compact(name)]
        body = _SEPARATORS.join(chars)
        if _is_spaced_script(name):
            ending = _CYRILLIC_ENDING if _is_cyrillic(name) else ""
            return rf"(?<![{_SPACED_LETTERS}]){body}{ending}(?![{_SPACED_LETTERS}])"
        if all("\u30a0" <= ch <= "\u30ff" for ch in Gazetteer._compact(name)):
            return rf"(?<![{_KATAKANA}]){body}(?![{_KATAKANA}])"
        return body

    def __len__(self) -> int:
        return len(self._areas)

    def __iter__(self) -> Iterator[Area]:
        return iter(self._areas.values())

    def get(self, area_id: str) -> Area | None:
        return self._areas.get(area_id)

    def lookup(self, name: str) -> Area | None:
        """The area whose id, name or alias is `name` (or, failing that, is found inside it)."""
        folded = fold(name).strip()
        if area := self._areas.get(folded) or self._by_name.get(self._compact(folded)):
            return area
        match = self.find(name)
        return match.area if match else None

    def find(self, text: str) -> AreaMatch | None:
        """The longest area name mentioned in `text`, if any."""
        # NFKC and casefold can change lengths for rare characters; offsets are only advisory.
        folded = fold(text)
        best: AreaMatch | None = None
        for pattern, area_id in self._patterns:
            found = pattern.search(folded)
            if found and (best is None or found.end() - found.start() > best.end - best.start):
                best = AreaMatch(self._areas[area_id], found.start(), found.end())
        return best


def load_gazetteer(path: Path = DEFAULT_GAZETTEER) -> Gazetteer:
    collection = json.loads(path.read_text(encoding="utf-8"))
    areas = []
    for feature in collection["features"]:
        props = feature["properties"]
        lon, lat = feature["geometry"]["coordinates"][:2]
        areas.append(
            Area(
                id=props["id"],
                kind=props.get("kind", "area"),
                names=dict(props["names"]),
                point=Point(lat=float(lat), lon=float(lon)),
                radius_m=float(props.get("radius_m", 2000)),
                aliases=tuple(props.get("aliases", ())),
            )
        )
    logger.info("gazetteer: %d areas from %s", len(areas), path)
    return Gazetteer(areas)


@lru_cache(maxsize=1)
def default_gazetteer() -> Gazetteer:
    return load_gazetteer()
