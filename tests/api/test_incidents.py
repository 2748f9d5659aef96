"""Incidents through the agency API: filters, pages, the GeoJSON feed, one incident with its photos."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from actions.domain import IncidentType
from tests.api.conftest import Api, add_incident
from tests.bot.chat import Conversation

T0 = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
PATONG = (7.8961, 98.2960)
KATA = (7.8195, 98.2975)
TOWN = (7.8840, 98.3900)


async def seed(api: Api) -> dict[str, str]:
    """Four incidents an hour apart, oldest first: A (Patong), B (Kata), C (no location), D (town)."""
    rows = [
        ("A", IncidentType.MEDICAL, 3, PATONG, None),
        ("B", IncidentType.DROWNING, 2, KATA, "acknowledged"),
        ("C", IncidentType.FIRE, 1, (None, None), None),
        ("D", IncidentType.CRIME, 0, TOWN, "resolved"),
    ]
    refs = {}
    for name, kind, hours_ago, (lat, lon), status in rows:
        at = T0 - timedelta(hours=hours_ago)
        refs[name] = await add_incident(
            api.app, user=name, incident_type=kind, at=at, lat=lat, lon=lon, status=status
        )
    return refs


async def listed(api: Api, refs: dict[str, str], params: dict | list) -> list[str]:
    response = await api.get("/api/v1/incidents", params=params)
    assert response.status_code == 200, response.text
    names = {reference: name for name, reference in refs.items()}
    return [names[item["reference"]] for item in response.json()["items"]]


async def test_incidents_are_listed_newest_first_and_filtered(api: Api):
    refs = await seed(api)
    assert await listed(api, refs, {}) == ["D", "C", "B", "A"]
    assert await listed(api, refs, {"status": "new"}) == ["C", "A"]
    assert await listed(api, refs, [("status", "new"), ("status", "resolved")]) == ["D", "C", "A"]
    assert await listed(api, refs, {"type": "drowning"}) == ["B"]
    assert await listed(api, refs, {"area": "patong"}) == ["A"]
    assert await listed(api, refs, {"area": "kata"}) == ["B"]
    # 500 m around Kata beach; and a circle that holds Patong and Kata (9 km apart) but not town.
    assert await listed(api, refs, {"area": f"{KATA[0]},{KATA[1]},500"}) == ["B"]
    assert await listed(api, refs, {"area": "7.858,98.296,5000"}) == ["B", "A"]
    assert await listed(api, refs, {"since": "2026-01-15T09:30:00Z"}) == ["D", "C", "B"]
    assert await listed(api, refs, {"until": "2026-01-15T17:30:00+07:00"}) == ["B", "A"]
    assert await listed(api, refs, {"status": "new", "since": "2026-01-15T09:30:00Z"}) == ["C"]


async def test_incidents_come_in_pages(api: Api):
    refs = await seed(api)
    first = (await api.get("/api/v1/incidents", params={"limit": 3})).json()
    second = (await api.get("/api/v1/incidents", params={"limit": 3, "offset": 3})).json()
    assert (first["total"], first["limit"], first["offset"]) == (4, 3, 0)
    assert [i["reference"] for i in first["items"]] == [refs["D"], refs["C"], refs["B"]]
    assert [i["reference"] for i in second["items"]] == [refs["A"]]
    located = first["items"][0]
    assert located["location"] == {"lat": TOWN[0], "lon": TOWN[1]}
    assert located["type"] == "crime" and located["status"] == "resolved"
    assert located["map_url"].startswith("https://www.google.com/maps/")
    assert located["url"] == f"http://bot.test/api/v1/incidents/{refs['D']}"
    assert first["items"][1]["location"] is None


async def test_bad_filters_get_400_with_the_reason(api: Api):
    await seed(api)
    cases = {
        "status=done": "status",
        "type=alien": "type",
        "area=atlantis": "unknown area",
        "area=7.8,98.3,0": "radius_m",
        "area=95,98.3,100": "out of range",
        "since=2026-01-15T10:00:00": "time zone",
        "since=yesterday": "since",
        "since=2026-01-15T10:00:00Z&until=2026-01-15T09:00:00Z": "before",
        "limit=0": "limit",
        "limit=501": "limit",
        "offset=-1": "offset",
    }
    for query, reason in cases.items():
        response = await api.get(f"/api/v1/incidents?{query}")
        assert response.status_code == 400, query
        assert reason in response.text, (query, response.text)


async def test_the_geojson_feed_has_the_located_incidents_with_the_same_filters(api: Api):
    refs = await seed(api)
    response = await api.get("/api/v1/incidents.geojson")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/geo+json"
    feed = response.json()
    assert feed["type"] == "FeatureCollection"
    by_id = {feature["id"]: feature for feature in feed["features"]}
    # C has no location: nothing to put on a map.
    assert list(by_id) == [refs["D"], refs["B"], refs["A"]]
    kata = by_id[refs["B"]]
    assert kata["type"] == "Feature"
    assert kata["geometry"] == {"type": "Point", "coordinates": [KATA[1], KATA[0]]}
    assert kata["properties"]["reference"] == refs["B"]
    assert kata["properties"]["type"] == "drowning"
    assert kata["properties"]["status"] == "acknowledged"

    new_only = (await api.get("/api/v1/incidents.geojson", params={"status": "new"})).json()
    assert [f["id"] for f in new_only["features"]] == [refs["A"]]
    near_kata = (await api.get("/api/v1/incidents.geojson", params={"area": "kata"})).json()
    assert [f["id"] for f in near_kata["features"]] == [refs["B"]]
    assert (await api.client.get("/api/v1/incidents.geojson")).status_code == 401


async def test_one_incident_with_its_events_and_photos(api: Api):
    jpeg = b"\xff\xd8\xff\xe0" + b"photo-of-the-scene" * 50
    chat = Conversation(api.client, "photographer")
    await chat.say("HELP fire!")
    reference = chat.last["incident_reference"]
    await chat.share_location(*PATONG)
    await chat.send_photo(jpeg)

    response = await api.get(f"/api/v1/incidents/{reference}")
    assert response.status_code == 200
    incident = response.json()
    assert incident["reference"] == reference
    assert incident["type"] == "fire" and incident["status"] == "new" and incident["channel"] == "web"
    assert incident["text"] == "HELP fire!"
    assert incident["location"] == {"lat": PATONG[0], "lon": PATONG[1]}
    assert [e["kind"] for e in incident["events"]] == ["created", "location", "photo"]
    assert incident["events"][0]["text"] == "HELP fire!"
    [photo] = incident["photos"]
    assert photo["content_type"] == "image/jpeg"
    assert photo["size"] == len(jpeg) and photo["sha256"] == hashlib.sha256(jpeg).hexdigest()
    assert photo["event_id"] == incident["events"][2]["id"]

    image = await api.get(photo["url"])
    assert image.status_code == 200
    assert image.content == jpeg
    assert image.headers["content-type"] == "image/jpeg"
    assert image.headers["x-content-type-options"] == "nosniff"

    # The reference is forgiving about case and separators, as users quote it.
    assert (await api.get(f"/api/v1/incidents/{reference.lower()}")).json()["reference"] == reference
    assert (await api.get("/api/v1/incidents/PKT-2222")).status_code == 404
    assert (await api.get("/api/v1/incidents/nonsense")).status_code == 404
    assert (await api.get(f"/api/v1/incidents/{reference}/photos/{photo['id'] + 1}")).status_code == 404
    other = await add_incident(api.app, user="someone-else")
    assert (await api.get(f"/api/v1/incidents/{other}/photos/{photo['id']}")).status_code == 404
    assert (await api.client.get(photo["url"])).status_code == 401
