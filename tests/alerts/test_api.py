"""Alerts through the JSON API: issue, update, cancel, list; roles, validation, audit, deliveries."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from actions.db.base import utcnow
from actions.db.models import Alert
from tests.alerts.conftest import Api, add_subscriber, alert_body, alert_row, delivered_to

OTHER_LANGUAGES = ["zh", "ru", "ko", "ja", "de", "fr"]
PATONG = (7.8961, 98.2960)
KATA = (7.8195, 98.2975)


async def test_an_operator_issues_an_alert_and_it_is_in_force(api: Api):
    response = await api.post("/api/v1/alerts", json=alert_body())
    assert response.status_code == 201, response.text
    written = response.json()
    alert = written["alert"]
    assert written["fallback_languages"] == OTHER_LANGUAGES
    assert alert["in_force"] and alert["status"] == "active" and alert["msg_type"] == "Alert"
    assert alert["agency"] == "tourist-police"
    assert alert["area"]["zones"] == ["patong"]
    assert alert["cap_url"].endswith(f"/api/v1/alerts/{alert['id']}/cap")

    listed = (await api.get("/api/v1/alerts")).json()
    assert [item["id"] for item in listed["items"]] == [alert["id"]] and listed["total"] == 1
    one = await api.get(f"/api/v1/alerts/{alert['id']}")
    assert one.status_code == 200 and one.json()["headline"]["en"] == "Thunderstorm over Patong"

    [audit] = [row for row in await api.audit() if row.action.startswith("alert.")]
    assert (audit.action, audit.target) == ("alert.create", f"alert:{alert['id']}")
    assert audit.actor.startswith("agency:tourist-police/key:")
    assert audit.details["fallback_languages"] == OTHER_LANGUAGES


async def test_languages_given_are_not_reported_as_fallen_back(api: Api):
    body = alert_body(
        headline={"th": "พายุ", "en": "Storm", "zh": "风暴", "ja": "嵐"},
        instruction={"th": "อยู่ในที่ร่ม", "en": "Stay indoors", "zh": "待在室内", "ja": "屋内にいてください"},
    )
    response = await api.post("/api/v1/alerts", json=body)
    assert response.status_code == 201, response.text
    assert response.json()["fallback_languages"] == ["ru", "ko", "de", "fr"]


async def test_an_alert_in_one_language_is_issued_and_the_others_get_the_standard_wording(api: Api):
    body = alert_body(headline={"th": "พายุฝนฟ้าคะนองที่ป่าตอง"}, instruction={"th": "หลีกเลี่ยงชายหาด"})
    response = await api.post("/api/v1/alerts", json=body)
    assert response.status_code == 201, response.text
    assert response.json()["fallback_languages"] == ["en", *OTHER_LANGUAGES]
    assert response.json()["alert"]["headline"] == {"th": "พายุฝนฟ้าคะนองที่ป่าตอง"}


async def test_a_viewer_cannot_write_and_nobody_without_a_key_can(api: Api):
    created = await api.post("/api/v1/alerts", json=alert_body())
    alert_id = created.json()["alert"]["id"]
    forbidden = [
        await api.post("/api/v1/alerts", role="viewer", json=alert_body()),
        await api.put(f"/api/v1/alerts/{alert_id}", role="viewer", json=alert_body()),
        await api.post(f"/api/v1/alerts/{alert_id}/cancel", role="viewer"),
    ]
    assert [r.status_code for r in forbidden] == [403, 403, 403]
    assert "operator" in forbidden[0].json()["detail"]
    anonymous = await api.client.post("/api/v1/alerts", json=alert_body())
    assert anonymous.status_code == 401
    assert (await api.client.get("/api/v1/alerts")).status_code == 401
    # A viewer reads.
    assert (await api.get("/api/v1/alerts", role="viewer")).status_code == 200
    row = await alert_row(api.app, alert_id)
    assert row.status == "active" and row.headline["en"] == "Thunderstorm over Patong"
    async with api.app.state.sessions() as session:
        assert len((await session.scalars(select(Alert))).all()) == 1


async def test_bad_alerts_get_422_naming_the_problem(api: Api):
    now = utcnow()
    cases = {
        "no text at all": (
            alert_body(headline={}, instruction={}),
            "required in at least one supported language",
        ),
        "a headline without its instruction": (
            alert_body(headline={"th": "พายุ", "en": "Storm"}, instruction={"th": "อยู่ในที่ร่ม"}),
            "in the same languages",
        ),
        "unknown zone": (alert_body(area={"zones": ["patong", "atlantis"]}), "unknown zone 'atlantis'"),
        "expires first": (
            alert_body(effective=now.isoformat(), expires=(now - timedelta(hours=1)).isoformat()),
            "expires must be after effective",
        ),
        "expired already": (
            alert_body(
                effective=(now - timedelta(hours=3)).isoformat(),
                expires=(now - timedelta(hours=1)).isoformat(),
            ),
            "is in the past",
        ),
        "not a CAP severity": (alert_body(severity="Catastrophic"), "'Extreme', 'Severe'"),
        "not our hazard": (alert_body(hazard="volcano"), "'tsunami'"),
        "a language we do not speak": (
            alert_body(
                headline={"th": "พายุ", "en": "Storm", "xx": "?"},
                instruction={"th": "ร่ม", "en": "Indoors", "xx": "?"},
            ),
            "unsupported language(s) xx",
        ),
        "no area": (alert_body(area={}), "give zones, circles or polygons, or all_phuket"),
        "a polygon of two points": (
            alert_body(area={"polygons": [[[7.9, 98.3], [7.91, 98.3]]]}),
            "at least 3 distinct",
        ),
        "far away": (
            alert_body(area={"circles": [{"lat": 13.75, "lon": 100.5, "radius_m": 5000}]}),
            "nowhere near",
        ),
        "a naive time": (alert_body(effective="2026-01-01T10:00:00"), "timezone"),
    }
    for name, (body, expected) in cases.items():
        response = await api.post("/api/v1/alerts", json=body)
        assert response.status_code == 422, (name, response.text)
        messages = " | ".join(error["msg"] for error in response.json()["detail"])
        assert expected in messages, (name, messages)
    malformed = [b"{not json", b"[1, 2]", b""]
    for body in malformed:
        response = await api.post(
            "/api/v1/alerts", content=body, headers={"content-type": "application/json"}
        )
        assert response.status_code == 400, (body, response.text)
    async with api.app.state.sessions() as session:
        assert (await session.scalars(select(Alert))).all() == []


async def test_an_update_replaces_the_content_and_reaches_newly_covered_subscribers(api: Api):
    in_patong = await add_subscriber(api.app, "patong-user", area_id="patong", lat=PATONG[0], lon=PATONG[1])
    in_kata = await add_subscriber(api.app, "kata-user", area_id="kata", lat=KATA[0], lon=KATA[1])
    created = (await api.post("/api/v1/alerts", json=alert_body())).json()
    alert_id = created["alert"]["id"]
    assert created["deliveries"] == 1
    assert await delivered_to(api.app, alert_id) == {in_patong}

    changed = alert_body(
        severity="Extreme",
        area={"zones": ["patong", "kata"]},
        headline={"th": "พายุรุนแรงป่าตองและกะตะ", "en": "Severe storm over Patong and Kata"},
        instruction={"th": "อยู่ในอาคาร", "en": "Stay inside a building"},
    )
    response = await api.put(f"/api/v1/alerts/{alert_id}", role="operator", json=changed)
    assert response.status_code == 200, response.text
    updated = response.json()
    assert updated["deliveries"] == 1
    assert updated["alert"]["msg_type"] == "Update" and updated["alert"]["severity"] == "Extreme"
    assert updated["alert"]["headline"]["en"] == "Severe storm over Patong and Kata"
    # The update is a new CAP message that references the one it replaces.
    original = created["alert"]
    assert updated["alert"]["identifier"] != original["identifier"]
    assert (
        updated["alert"]["references"] == f"{original['sender']},{original['identifier']},{original['sent']}"
    )
    assert await delivered_to(api.app, alert_id) == {in_patong, in_kata}
    assert [row.action for row in await api.audit() if row.action.startswith("alert.")] == [
        "alert.create",
        "alert.update",
    ]

    assert (await api.put("/api/v1/alerts/999", role="operator", json=changed)).status_code == 404
    bad = await api.put(
        f"/api/v1/alerts/{alert_id}", role="operator", json=alert_body(area={"zones": ["nowhere"]})
    )
    assert bad.status_code == 422
    assert (await alert_row(api.app, alert_id)).area["zones"] == ["patong", "kata"]


async def test_a_cancelled_alert_is_no_longer_in_force(api: Api):
    alert_id = (await api.post("/api/v1/alerts", json=alert_body())).json()["alert"]["id"]
    response = await api.post(f"/api/v1/alerts/{alert_id}/cancel", json={"reason": "storm passed"})
    assert response.status_code == 200, response.text
    cancelled = response.json()["alert"]
    assert cancelled["status"] == "cancelled" and cancelled["cancelled_at"] and not cancelled["in_force"]
    assert (await api.get("/api/v1/alerts")).json()["items"] == []
    everything = (await api.get("/api/v1/alerts", params={"all": "true"})).json()["items"]
    assert [item["id"] for item in everything] == [alert_id]

    again = await api.post(f"/api/v1/alerts/{alert_id}/cancel")
    assert again.status_code == 409 and "already cancelled" in again.json()["detail"]
    revived = await api.put(f"/api/v1/alerts/{alert_id}", role="operator", json=alert_body())
    assert revived.status_code == 409
    [audit] = [row for row in await api.audit() if row.action == "alert.cancel"]
    assert audit.details["reason"] == "storm passed"


async def test_expired_alerts_are_not_in_force(api: Api):
    now = utcnow()
    async with api.app.state.sessions() as session:
        session.add(
            Alert(
                identifier="old-storm",
                sender="ddpm",
                agency="DDPM Phuket",
                hazard="storm",
                severity="Severe",
                urgency="Immediate",
                certainty="Observed",
                area={"zones": ["patong"]},
                headline={"en": "Old storm", "th": "พายุเก่า"},
                instruction={"en": "Stay in", "th": "อยู่ในบ้าน"},
                effective=now - timedelta(hours=5),
                expires=now - timedelta(hours=1),
            )
        )
        await session.commit()
    current = (await api.post("/api/v1/alerts", json=alert_body())).json()["alert"]
    listed = (await api.get("/api/v1/alerts")).json()["items"]
    assert [item["identifier"] for item in listed] == [current["identifier"]]
    everything = (await api.get("/api/v1/alerts", params={"all": "true"})).json()["items"]
    assert {item["identifier"]: item["in_force"] for item in everything} == {
        current["identifier"]: True,
        "old-storm": False,
    }
    index = (await api.client.get("/api/v1/alerts/cap.atom")).text
    assert "Thunderstorm over Patong" in index and "Old storm" not in index


async def test_areas_of_every_kind_and_all_of_phuket(api: Api):
    area = {
        "zones": ["kata"],
        "circles": [{"lat": 7.9, "lon": 98.3, "radius_m": 1500}],
        # Closed like a CAP polygon: stored open.
        "polygons": [[[7.88, 98.28], [7.88, 98.31], [7.91, 98.31], [7.88, 98.28]]],
    }
    response = await api.post("/api/v1/alerts", json=alert_body(area=area))
    assert response.status_code == 201, response.text
    assert response.json()["alert"]["area"] == {
        "zones": ["kata"],
        "circles": [{"lat": 7.9, "lon": 98.3, "radius_m": 1500.0}],
        "polygons": [[[7.88, 98.28], [7.88, 98.31], [7.91, 98.31]]],
        "all_phuket": False,
    }
    everywhere = await api.post("/api/v1/alerts", json=alert_body(area={"all_phuket": True}))
    assert everywhere.status_code == 201
    assert everywhere.json()["alert"]["area"]["all_phuket"] is True
    assert (await api.get("/api/v1/alerts/12345")).status_code == 404
