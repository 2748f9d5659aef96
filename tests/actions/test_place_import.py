from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from actions.db.models import Place
from actions.domain import PlaceCategory
from actions.places import (
    PlaceImportError,
    Point,
    nearest_places,
    place_files,
    read_places,
    upsert_places,
)

ROOT = Path(__file__).resolve().parents[2]
CSV_HEADER = "id,kind,lat,lon,name_th,name_en,phone,area,source,verified\n"


def test_the_demo_files_are_valid():
    records = read_places(place_files(ROOT / "data" / "places"))
    kinds = {record.kind for record in records}
    assert {"hospital", "police", "tourist_police", "evacuation_point"} <= kinds
    assert all(not record.verified for record in records)


def test_bad_csv_rows_are_reported_by_line_and_nothing_is_read(tmp_path):
    path = tmp_path / "places.csv"
    path.write_text(
        CSV_HEADER
        + "h-1,hospital,7.9,98.3,โรงพยาบาล,Hospital One,,patong,agency,true\n"
        + "h-2,castle,7.9,98.3,ปราสาท,Castle,,,agency,false\n"
        + "h-3,hospital,north,98.3,โรงพยาบาล,Hospital Three,,,agency,false\n"
        + "h-4,hospital,7.9,98.3,,Hospital Four,,,agency,false\n",
        encoding="utf-8",
    )
    with pytest.raises(PlaceImportError) as error:
        read_places([path])
    where = [e.where for e in error.value.errors]
    assert where == ["line 3", "line 4", "line 5"]
    assert "kind" in error.value.errors[0].message
    assert "th" in error.value.errors[2].message


def test_bad_geojson_features_are_reported_with_their_line(tmp_path):
    good = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [98.3, 7.9]},
        "properties": {
            "id": "p-1",
            "kind": "police",
            "names": {"th": "ตำรวจ", "en": "Police"},
            "source": "agency",
        },
    }
    bad = {
        **good,
        "geometry": {"type": "Point", "coordinates": [98.3, 97.9]},
        "properties": {**good["properties"], "id": "p-2"},
    }
    path = tmp_path / "places.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [good, bad]}, indent=1))
    with pytest.raises(PlaceImportError) as error:
        read_places([path])
    [only] = error.value.errors
    assert only.where.startswith("feature 2 (line ")
    assert "lat" in only.message


async def test_import_is_all_or_nothing_and_updates_by_id(sessions, tmp_path):
    path = tmp_path / "places.csv"
    path.write_text(
        CSV_HEADER + "h-1,hospital,7.90,98.30,โรงพยาบาลหนึ่ง,Hospital One,076 000 000,patong,agency,true\n",
        encoding="utf-8",
    )
    async with sessions() as session:
        summary = await upsert_places(session, read_places([path]))
        await session.commit()
    assert (summary.created, summary.updated) == (1, 0)

    path.write_text(
        CSV_HEADER + "h-1,hospital,7.91,98.31,โรงพยาบาลหนึ่ง,Hospital 1,,patong,agency,true\n",
        encoding="utf-8",
    )
    async with sessions() as session:
        summary = await upsert_places(session, read_places([path]))
        await session.commit()
    assert (summary.created, summary.updated) == (0, 1)
    async with sessions() as session:
        place = (await session.scalars(select(Place))).one()
        assert place.names["en"] == "Hospital 1"
        assert place.lat == pytest.approx(7.91)
        assert place.verified is True


async def test_nearest_places_are_sorted_by_distance(sessions):
    async with sessions() as session:
        await upsert_places(session, read_places(place_files(ROOT / "data" / "places")))
        await session.commit()
    async with sessions() as session:
        found = await nearest_places(session, PlaceCategory.HOSPITAL, Point(7.8960, 98.2955))
        total = await session.scalar(select(func.count()).select_from(Place))
    assert total and total > 20
    assert next(item.place.external_id for item in found) == "hospital-patong"
    distances = [item.distance_m for item in found]
    assert distances == sorted(distances) and len(found) == 3
    assert all(item.place.kind == "hospital" for item in found)
