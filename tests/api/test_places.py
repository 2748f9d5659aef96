"""Places through the agency API: list, add, update, import (validated, all or nothing), audited."""

from __future__ import annotations

import json

import httpx
from sqlalchemy import func, select

from actions.db.models import Place
from tests.api.conftest import PATONG_HOSPITAL, Api

CSV_HEADER = "id,kind,lat,lon,name_th,name_en,phone,area,source,verified\n"


def feature(place_id: str, kind: str, lat: float, lon: float, **properties) -> dict:
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": {
            "id": place_id,
            "kind": kind,
            "names": {"th": f"ที่ {place_id}", "en": f"Place {place_id}"},
            "source": "agency list 2026",
            **properties,
        },
    }


async def import_body(api: Api, body: bytes, content_type: str, role: str = "admin") -> httpx.Response:
    """POST /api/v1/places/import with a raw body."""
    return await api.post(
        "/api/v1/places/import", role=role, content=body, headers={"content-type": content_type}
    )


async def place_count(api: Api) -> int:
    async with api.app.state.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(Place)) or 0)


async def test_add_update_and_list_places(api: Api):
    created = await api.post("/api/v1/places", role="admin", json=PATONG_HOSPITAL)
    again = await api.post("/api/v1/places", role="admin", json=PATONG_HOSPITAL)
    shelter = {**PATONG_HOSPITAL, "id": "shelter-kata", "kind": "shelter", "lat": 7.8195, "area": "kata"}
    await api.post("/api/v1/places", role="admin", json=shelter)
    changed = {**PATONG_HOSPITAL, "phone": "1669", "verified": False}
    updated = await api.put("/api/v1/places/hosp-patong", json=changed)

    assert created.status_code == 201
    assert created.json()["id"] == "hosp-patong" and created.json()["names"]["en"] == "Patong Hospital"
    assert again.status_code == 409 and "PUT" in again.json()["detail"]
    assert updated.status_code == 200
    assert (updated.json()["phone"], updated.json()["verified"]) == ("1669", False)

    everything = (await api.get("/api/v1/places")).json()
    assert everything["total"] == 2
    assert [p["id"] for p in everything["items"]] == ["hosp-patong", "shelter-kata"]
    hospitals = (await api.get("/api/v1/places", params={"kind": "hospital"})).json()
    assert [p["id"] for p in hospitals["items"]] == ["hosp-patong"]
    assert hospitals["items"][0]["phone"] == "1669"
    near_kata = (await api.get("/api/v1/places", params={"area": "7.8195,98.2981,300"})).json()
    assert [p["id"] for p in near_kata["items"]] == ["shelter-kata"]
    in_patong = (await api.get("/api/v1/places", params={"area": "patong"})).json()
    assert [p["id"] for p in in_patong["items"]] == ["hosp-patong"]

    actions = [(row.action, row.target) for row in await api.audit()]
    assert actions == [
        ("place.create", "hosp-patong"),
        ("place.create", "shelter-kata"),
        ("place.update", "hosp-patong"),
    ]
    update = (await api.audit())[-1]
    assert update.details["before"]["phone"] == "076 342 633" and update.details["after"]["phone"] == "1669"
    assert update.actor.startswith("agency:tourist-police/key:")


async def test_bad_places_are_refused_with_the_reason(api: Api):
    await api.post("/api/v1/places", role="admin", json=PATONG_HOSPITAL)
    no_thai = {**PATONG_HOSPITAL, "id": "h-2", "names": {"en": "English only"}}
    off_earth = {**PATONG_HOSPITAL, "id": "h-3", "lat": 97.0}
    unknown_kind = {**PATONG_HOSPITAL, "id": "h-4", "kind": "spa"}
    responses = [
        await api.post("/api/v1/places", role="admin", json=body)
        for body in (no_thai, off_earth, unknown_kind)
    ]
    other_id = await api.put("/api/v1/places/hosp-patong", json={**PATONG_HOSPITAL, "id": "elsewhere"})
    missing = await api.put("/api/v1/places/nowhere", json={**PATONG_HOSPITAL, "id": "nowhere"})

    assert [r.status_code for r in responses] == [400, 400, 400]
    assert "th" in responses[0].text and "lat" in responses[1].text and "kind" in responses[2].text
    assert other_id.status_code == 400 and missing.status_code == 404
    assert await place_count(api) == 1
    assert [row.action for row in await api.audit()] == ["place.create"]


async def test_import_csv_as_a_raw_body_and_geojson_as_an_upload(api: Api):
    csv_text = (
        CSV_HEADER
        + "pol-1,police,7.8940,98.2990,สถานีตำรวจ,Police One,191,patong,agency,true\n"
        + "pol-2,tourist_police,7.8960,98.2970,ตำรวจท่องเที่ยว,Tourist Police,1155,patong,agency,false\n"
    )
    raw = await import_body(api, csv_text.encode(), "text/csv")
    collection = {
        "type": "FeatureCollection",
        "features": [
            feature("pol-2", "tourist_police", 7.8961, 98.2969),
            feature("sh-1", "shelter", 7.82, 98.30),
        ],
    }
    upload = await api.post(
        "/api/v1/places/import",
        role="admin",
        files={"file": ("official.geojson", json.dumps(collection).encode(), "application/octet-stream")},
    )

    assert raw.status_code == 200, raw.text
    assert raw.json() == {"imported": 2, "created": 2, "updated": 0}
    assert upload.status_code == 200, upload.text
    assert upload.json() == {"imported": 2, "created": 1, "updated": 1}
    places = {p["id"]: p for p in (await api.get("/api/v1/places")).json()["items"]}
    assert sorted(places) == ["pol-1", "pol-2", "sh-1"]
    assert places["pol-2"]["lat"] == 7.8961 and places["pol-2"]["source"] == "agency list 2026"
    assert places["pol-1"]["verified"] is True
    audit = [
        (row.action, row.target, row.details["created"], row.details["updated"]) for row in await api.audit()
    ]
    assert audit == [("place.import", "upload", 2, 0), ("place.import", "official.geojson", 1, 1)]


async def test_an_import_with_a_bad_row_gets_422_listing_it_and_writes_nothing(api: Api):
    csv_text = (
        CSV_HEADER
        + "ok-1,hospital,7.90,98.30,โรงพยาบาล,Hospital One,,,agency,false\n"
        + "bad-1,hospital,7.90,,โรงพยาบาล,Hospital Two,,,agency,false\n"
        + "bad-2,hospital,7.90,98.30,,No Thai Name,,,agency,false\n"
    )
    response = await api.post(
        "/api/v1/places/import",
        role="admin",
        files={"file": ("list.csv", csv_text.encode(), "text/csv")},
    )
    bad_json = await import_body(api, b'{"type": "FeatureCollection", "features": [', "application/geo+json")
    not_utf8 = await import_body(api, "id,kind\n".encode("utf-16"), "text/csv")
    spreadsheet = await import_body(api, b"PK\x03\x04", "application/vnd.ms-excel")
    no_file = await api.post(
        "/api/v1/places/import", role="admin", data={"other": "x"}, files={"x": ("a", b"")}
    )
    operator = await import_body(api, csv_text.encode(), "text/csv", role="operator")

    assert response.status_code == 422
    body = response.json()
    assert body["detail"] == "nothing imported: 2 bad row(s)"
    assert [(e["source"], e["where"]) for e in body["errors"]] == [
        ("list.csv", "line 3"),
        ("list.csv", "line 4"),
    ]
    assert "name is required in: th" in body["errors"][1]["message"]
    assert bad_json.status_code == 422 and "invalid JSON" in bad_json.json()["errors"][0]["message"]
    assert not_utf8.status_code == 422 and not_utf8.json()["errors"][0]["message"] == "not UTF-8 text"
    assert spreadsheet.status_code == 415
    assert no_file.status_code == 400 and "'file'" in no_file.json()["detail"]
    assert operator.status_code == 403
    assert await place_count(api) == 0
    assert await api.audit() == []
