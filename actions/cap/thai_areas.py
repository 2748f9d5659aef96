"""Thai administrative areas as CAP messages name them, from ``data/cap/thai_areas.json``.

Thai feeds often give an area only as a province name (``จังหวัดพังงา``, ``Phang Nga Province``) or
as a ``<geocode>``: a TIS 1099 code (``83`` Phuket, ``8302`` its Kathu district, ``830202`` Patong
subdistrict) or an ISO 3166-2 code (``TH-83``). This module says which province such a name or code
is, and for Phuket which gazetteer zones a district or subdistrict covers.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from actions.places.gazetteer import fold

THAI_AREAS = Path(__file__).resolve().parents[2] / "data" / "cap" / "thai_areas.json"

# Words around a province's name: "จังหวัดภูเก็ต", "จ.ภูเก็ต", "Changwat Phuket", "Phuket Province".
_PROVINCE_AFFIXES = re.compile(r"^(?:จังหวัด|จ\.|changwat\s+)|\s+province$")
_NOT_LETTERS = re.compile(r"[\s\-_.'’]+")
_ISO_CODE = re.compile(r"^TH-?(\d{2})$", re.IGNORECASE)


def _compact(name: str) -> str:
    """Fold case, tone marks, spaces and hyphens: ``Phang-nga`` and ``Phang Nga`` are one name."""
    return _NOT_LETTERS.sub("", _PROVINCE_AFFIXES.sub("", fold(name).strip()))


@dataclass(frozen=True, slots=True)
class Province:
    code: str
    en: str
    th: str
    aliases: tuple[str, ...] = ()

    def names(self) -> tuple[str, ...]:
        return (self.en, self.th, *self.aliases)


@dataclass(frozen=True, slots=True)
class Place:
    """Where a name or code points: a province and, in Phuket, its zones (none: all of it)."""

    province: Province
    label: str
    zones: tuple[str, ...] = ()


class ThaiAreas:
    """Provinces by code and name; Phuket's districts and subdistricts with their zones."""

    def __init__(self, data: dict[str, Any]) -> None:
        self._provinces = {
            entry["code"]: Province(entry["code"], entry["en"], entry["th"], tuple(entry.get("aliases", ())))
            for entry in data["provinces"]
        }
        self._by_name = {
            _compact(name): province for province in self._provinces.values() for name in province.names()
        }
        phuket = data["phuket"]
        self.phuket = self._provinces[phuket["province"]]
        # Code → (English name, zones) for each district and subdistrict of Phuket.
        self._phuket_parts: dict[str, tuple[str, tuple[str, ...]]] = {}
        for sub in phuket["subdistricts"]:
            self._phuket_parts[sub["code"]] = (sub["en"], tuple(sub["zones"]))
        for district in phuket["districts"]:
            zones = [
                zone
                for code, (_, sub_zones) in self._phuket_parts.items()
                if code.startswith(district["code"])
                for zone in sub_zones
            ]
            self._phuket_parts[district["code"]] = (district["en"], tuple(dict.fromkeys(zones)))
        names = data["geocode_value_names"]
        self._tis_names = {_compact(name) for name in names["tis1099"]}
        self._iso_names = {_compact(name) for name in names["iso3166_2"]}

    def province_named(self, name: str) -> Province | None:
        """The province `name` names exactly (any spelling we know, with or without "จังหวัด")."""
        return self._by_name.get(_compact(name))

    def by_geocode(self, value_name: str, value: str) -> Place | None:
        """The place of a TIS 1099 or ISO 3166-2 geocode; None for a scheme or code we do not know."""
        value = value.strip()
        kind = _compact(value_name)
        if kind in self._iso_names or (kind not in self._tis_names and _ISO_CODE.match(value)):
            match = _ISO_CODE.match(value)
            return self._place(match.group(1)) if match else None
        if kind in self._tis_names and value.isdigit() and len(value) % 2 == 0:
            return self._place(value)
        return None

    def _place(self, code: str) -> Place | None:
        province = self._provinces.get(code[:2])
        if province is None:
            return None
        if province is not self.phuket or len(code) == 2:
            return Place(province, province.en)
        # The most precise part of Phuket we know: subdistrict, else its district, else all of it.
        for length in (6, 4):
            if part := self._phuket_parts.get(code[:length]):
                name, zones = part
                return Place(province, f"{name}, {province.en}", zones)
        return Place(province, province.en)


@lru_cache(maxsize=1)
def thai_areas() -> ThaiAreas:
    return ThaiAreas(json.loads(THAI_AREAS.read_text(encoding="utf-8")))
