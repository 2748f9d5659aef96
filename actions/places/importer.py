"""Read places from GeoJSON or CSV, all rows validated before anything is written."""

from __future__ import annotations

import csv
import io
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from actions.domain import SUPPORTED_LANGUAGES
from actions.places.records import PlaceRecord

logger = logging.getLogger(__name__)

CSV_COLUMNS = ("id", "kind", "lat", "lon", "phone", "area", "source", "verified")
_TRUE = {"1", "true", "yes", "y", "t"}
_FALSE = {"0", "false", "no", "n", "f", ""}


@dataclass(frozen=True, slots=True)
class RowError:
    """A rejected row: `where` is "line N" for CSV, "feature N (line M)" for GeoJSON."""

    source: str
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.source}: {self.where}: {self.message}"


class PlaceImportError(Exception):
    def __init__(self, errors: list[RowError]) -> None:
        self.errors = errors
        super().__init__("\n".join(str(error) for error in errors))


def _describe(error: ValidationError) -> str:
    parts = []
    for item in error.errors():
        location = ".".join(str(part) for part in item["loc"])
        parts.append(f"{location}: {item['msg']}" if location else item["msg"])
    return "; ".join(parts)


def _parse_bool(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError(f"verified must be true or false, not {value!r}")


def parse_csv(text: str, source: str) -> tuple[list[PlaceRecord], list[RowError]]:
    try:
        return _parse_csv(text, source)
    except csv.Error as exc:
        # Not CSV at all (a stray carriage return, a NUL byte): a bad file, not a crash.
        return [], [RowError(source, "file", f"not valid CSV: {exc}")]


def _parse_csv(text: str, source: str) -> tuple[list[PlaceRecord], list[RowError]]:
    records: list[PlaceRecord] = []
    errors: list[RowError] = []
    # newline="": the csv module reads line endings itself (a \r inside a quoted name is data).
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = reader.fieldnames or []
    missing = [c for c in ("id", "kind", "lat", "lon", "name_th", "name_en", "source") if c not in header]
    if missing:
        return [], [RowError(source, "line 1", f"missing column(s): {', '.join(missing)}")]
    for row in reader:
        line = f"line {reader.line_num}"
        try:
            names = {
                lang: row.get(f"name_{lang}") or "" for lang in SUPPORTED_LANGUAGES if row.get(f"name_{lang}")
            }
            records.append(
                PlaceRecord(
                    external_id=row["id"] or "",
                    kind=row["kind"],
                    names=names,
                    lat=float(row["lat"]),
                    lon=float(row["lon"]),
                    phone=row.get("phone") or None,
                    area=row.get("area") or None,
                    source=row["source"] or "",
                    verified=_parse_bool(row.get("verified") or ""),
                )
            )
        except ValidationError as exc:
            errors.append(RowError(source, line, _describe(exc)))
        except (ValueError, TypeError) as exc:
            errors.append(RowError(source, line, str(exc)))
    return records, errors


def _feature_lines(text: str) -> list[int]:
    """Line number where each feature's object starts, to point at a bad feature in the file."""
    lines: list[int] = []
    decoder = json.JSONDecoder()
    start = text.find('"features"')
    index = text.find("[", start) + 1 if start >= 0 else -1
    while 0 < index < len(text):
        while index < len(text) and text[index] in " \t\r\n,":
            index += 1
        if index >= len(text) or text[index] != "{":
            break
        lines.append(text.count("\n", 0, index) + 1)
        _, index = decoder.raw_decode(text, index)
    return lines


def _record_from_feature(feature: dict[str, Any]) -> PlaceRecord:
    if feature.get("type") != "Feature":
        raise ValueError("not a GeoJSON Feature")
    geometry = feature.get("geometry") or {}
    if geometry.get("type") != "Point":
        raise ValueError("geometry must be a Point")
    coordinates = geometry.get("coordinates") or []
    if len(coordinates) < 2:
        raise ValueError("a Point needs [lon, lat]")
    props = dict(feature.get("properties") or {})
    return PlaceRecord(
        external_id=props.pop("id", None),
        kind=props.pop("kind", None),
        names=props.pop("names", None),
        lat=coordinates[1],
        lon=coordinates[0],
        phone=props.pop("phone", None),
        area=props.pop("area", None),
        source=props.pop("source", None),
        verified=props.pop("verified", False),
    )


def parse_geojson(text: str, source: str) -> tuple[list[PlaceRecord], list[RowError]]:
    try:
        collection = json.loads(text)
    except json.JSONDecodeError as exc:
        return [], [RowError(source, f"line {exc.lineno}", f"invalid JSON: {exc.msg}")]
    if not isinstance(collection, dict) or collection.get("type") != "FeatureCollection":
        return [], [RowError(source, "line 1", "not a GeoJSON FeatureCollection")]
    lines = _feature_lines(text)
    records: list[PlaceRecord] = []
    errors: list[RowError] = []
    for number, feature in enumerate(collection.get("features") or [], start=1):
        where = f"feature {number}"
        if number <= len(lines):
            where += f" (line {lines[number - 1]})"
        try:
            records.append(_record_from_feature(feature))
        except ValidationError as exc:
            errors.append(RowError(source, where, _describe(exc)))
        except (ValueError, TypeError, AttributeError) as exc:
            errors.append(RowError(source, where, str(exc)))
    return records, errors


def read_places(paths: list[Path]) -> list[PlaceRecord]:
    """Read and validate every file; raise `PlaceImportError` listing every bad row, if any."""
    records: list[PlaceRecord] = []
    errors: list[RowError] = []
    for path in paths:
        text = path.read_text(encoding="utf-8-sig")
        suffix = path.suffix.lower()
        if suffix == ".csv":
            found, bad = parse_csv(text, str(path))
        elif suffix in {".geojson", ".json"}:
            found, bad = parse_geojson(text, str(path))
        else:
            found, bad = [], [RowError(str(path), "file", "expected .geojson, .json or .csv")]
        records.extend(found)
        errors.extend(bad)
    return _checked(records, errors)


def read_places_text(text: str, file_format: str, source: str) -> list[PlaceRecord]:
    """Validate places given as text (an upload): `file_format` is "csv" or "geojson".

    Raises `PlaceImportError` listing every bad row, exactly as `read_places` does for files.
    """
    if file_format == "csv":
        records, errors = parse_csv(text, source)
    elif file_format == "geojson":
        records, errors = parse_geojson(text, source)
    else:
        raise ValueError(f"unknown place file format {file_format!r}")
    return _checked(records, errors)


def _checked(records: list[PlaceRecord], errors: list[RowError]) -> list[PlaceRecord]:
    """Add an error for ids given twice; raise if anything is wrong, else return the records."""
    seen: dict[str, int] = {}
    for record in records:
        seen[record.external_id] = seen.get(record.external_id, 0) + 1
    duplicates = sorted(external_id for external_id, count in seen.items() if count > 1)
    if duplicates:
        errors.append(RowError("import", "ids", f"duplicate id(s): {', '.join(duplicates)}"))
    if errors:
        raise PlaceImportError(errors)
    return records


# Files of data/places that are not places: the gazetteer, and the island's outline for maps.
NOT_PLACE_FILES = frozenset({"areas.geojson", "phuket-outline.geojson"})


def place_files(path: Path) -> list[Path]:
    """The place files in a folder (the gazetteer and the map outline are not place files)."""
    if path.is_file():
        return [path]
    return sorted(
        p
        for p in path.iterdir()
        if p.suffix.lower() in {".geojson", ".csv"} and p.name not in NOT_PLACE_FILES
    )
