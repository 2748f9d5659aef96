"""CAP 1.2: relaying a national feed (Alert, Update, Cancel), refusing bad messages, and our feeds."""

from __future__ import annotations

import re
from datetime import timedelta

from lxml import etree
from sqlalchemy import select

from actions.cap import CAP_NS, cap_schema, parse_cap, read_cap
from actions.db.base import utcnow
from actions.db.models import Alert
from actions.places import default_gazetteer
from tests.alerts.conftest import (
    NS,
    TMD_SAMPLE,
    Api,
    add_subscriber,
    alert_body,
    cap_triple,
    delivered_to,
    post_cap,
    tmd_sample,
)

ATOM = {"atom": "http://www.w3.org/2005/Atom"}
HEADLINE_EN = "Tsunami warning for the Andaman coast of Phuket"
HEADLINE_TH = "เตือนภัยคลื่นสึนามิ ชายฝั่งทะเลอันดามัน จังหวัดภูเก็ต"
KATA = (7.8195, 98.2975)
MAI_KHAO = (8.1300, 98.3000)


def valid(document: bytes) -> bool:
    return cap_schema().validate(etree.fromstring(document))


async def alerts_in_db(api: Api) -> list[Alert]:
    async with api.app.state.sessions() as session:
        return list(await session.scalars(select(Alert).order_by(Alert.id)))


async def test_a_tmd_alert_in_thai_and_english_is_relayed_to_subscribers(api: Api):
    on_the_coast = await add_subscriber(api.app, "kata-user", area_id="kata", lat=KATA[0], lon=KATA[1])
    await add_subscriber(api.app, "north-user", area_id="mai_khao", lat=MAI_KHAO[0], lon=MAI_KHAO[1])
    response = await post_cap(api, tmd_sample())
    assert response.status_code == 201, response.text
    relayed = response.json()
    assert relayed["msg_type"] == "Alert"
    [written] = relayed["alerts"]
    alert = written["alert"]
    assert (alert["identifier"], alert["sender"]) == ("TMD-EQ-TSU-20261124-0315", "earthquake@tmd.go.th")
    assert alert["agency"] == "Thai Meteorological Department"
    assert (alert["hazard"], alert["severity"], alert["urgency"], alert["certainty"]) == (
        "tsunami",
        "Extreme",
        "Immediate",
        "Likely",
    )
    assert alert["headline"] == {"th": HEADLINE_TH, "en": HEADLINE_EN}
    assert alert["instruction"]["en"].startswith("Everyone on Patong, Karon, Kata")
    assert alert["description"]["en"].startswith("A magnitude 7.9 earthquake")
    # <polygon> and <circle> as given, the <area> without geometry placed by its name.
    assert alert["area"] == {
        "zones": ["kamala"],
        "circles": [{"lat": 7.7797, "lon": 98.3253, "radius_m": 3000.0}],
        "polygons": [[[7.915, 98.285], [7.915, 98.305], [7.805, 98.305], [7.805, 98.285]]],
        "all_phuket": False,
    }
    assert written["fallback_languages"] == ["zh", "ru", "ko", "ja", "de", "fr"]
    # Kamala is placed by its <geocode> (TIS 1099 830203, Kamala subdistrict): nothing left out.
    assert relayed["notes"] == []
    # Kata lies inside the polygon; Mai Khao, 35 km north, is not warned.
    assert written["deliveries"] == 1
    assert await delivered_to(api.app, alert["id"]) == {on_the_coast}
    [audit] = [row for row in await api.audit() if row.action.startswith("alert.")]
    assert audit.action == "alert.create" and audit.details["identifier"] == "TMD-EQ-TSU-20261124-0315"

    again = await post_cap(api, tmd_sample())
    assert again.status_code == 409 and "was already received" in again.json()["detail"]


async def test_update_and_cancel_follow_the_references(api: Api):
    original = tmd_sample()
    alert_id = (await post_cap(api, original)).json()["alerts"][0]["alert"]["id"]

    update = tmd_sample(
        identifier="TMD-EQ-TSU-20261124-0316",
        msg_type="Update",
        references=cap_triple(original),
        headline_en="Tsunami warning downgraded for Phuket",
        severity="Severe",
    )
    response = await post_cap(api, update)
    assert response.status_code == 200, response.text
    [updated] = response.json()["alerts"]
    assert updated["alert"]["id"] == alert_id
    assert updated["alert"]["msg_type"] == "Update" and updated["alert"]["severity"] == "Severe"
    assert updated["alert"]["headline"]["en"] == "Tsunami warning downgraded for Phuket"
    assert updated["alert"]["identifier"] == "TMD-EQ-TSU-20261124-0316"

    # The export is the Update as received: its identifier, and the reference to the original.
    exported = (await api.client.get(f"/api/v1/alerts/{alert_id}/cap")).content
    assert valid(exported)
    root = etree.fromstring(exported)
    assert root.findtext("cap:msgType", namespaces=NS) == "Update"
    assert root.findtext("cap:references", namespaces=NS) == cap_triple(original)

    # A Cancel may name any message of the chain: here the original.
    cancel = tmd_sample(
        identifier="TMD-EQ-TSU-20261124-0317", msg_type="Cancel", references=cap_triple(original)
    )
    response = await post_cap(api, cancel)
    assert response.status_code == 200, response.text
    [cancelled] = response.json()["alerts"]
    assert cancelled["alert"]["id"] == alert_id and cancelled["alert"]["status"] == "cancelled"
    assert (await api.get("/api/v1/alerts")).json()["items"] == []
    exported = (await api.client.get(f"/api/v1/alerts/{alert_id}/cap")).content
    assert valid(exported)
    assert etree.fromstring(exported).findtext("cap:msgType", namespaces=NS) == "Cancel"
    assert [row.action for row in await api.audit() if row.action.startswith("alert.")] == [
        "alert.create",
        "alert.update",
        "alert.cancel",
    ]
    assert (await post_cap(api, cancel)).status_code == 409


async def test_a_reference_to_an_unknown_alert_gets_422(api: Api):
    update = tmd_sample(
        msg_type="Update", references="earthquake@tmd.go.th,TMD-NEVER-SEEN,2026-11-24T09:00:00+07:00"
    )
    response = await post_cap(api, update)
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert "names no alert we know" in error["msg"] and "TMD-NEVER-SEEN" in error["msg"]
    no_references = await post_cap(api, tmd_sample(msg_type="Cancel"))
    assert no_references.status_code == 422
    assert "needs <references>" in no_references.json()["detail"][0]["msg"]
    assert await alerts_in_db(api) == []


def replace(document: bytes, old: str, new: str) -> bytes:
    assert old.encode() in document
    return document.replace(old.encode(), new.encode(), 1)


def strip_geometry(document: bytes) -> bytes:
    """The sample without its polygon and circle (in both <info>s)."""
    for shape in (
        "<polygon>7.915,98.285 7.915,98.305 7.805,98.305 7.805,98.285 7.915,98.285</polygon>",
        "<circle>7.7797,98.3253 3</circle>",
    ):
        document = document.replace(shape.encode(), b"")
    return document


def strip_geocodes(document: bytes) -> bytes:
    return re.sub(rb"<geocode>.*?</geocode>", b"", document, flags=re.DOTALL)


def areas_named(document: bytes, *names: str) -> bytes:
    """The sample with no geometry and no geocodes, its three English areas named `names`."""
    document = strip_geocodes(strip_geometry(document))
    for old, new in zip(("Kamala", "Rawai", "Patong, Karon and Kata beaches"), names, strict=True):
        document = replace(document, f"<areaDesc>{old}</areaDesc>", f"<areaDesc>{new}</areaDesc>")
    return document


async def test_bad_cap_messages_get_422_naming_the_problem(api: Api, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    good = tmd_sample()
    cases = {
        "a severity CAP does not have": (
            replace(good, "<severity>Extreme</severity>", "<severity>Catastrophic</severity>"),
            ["line ", "severity", "Catastrophic"],
        ),
        "no scope": (replace(good, "<scope>Public</scope>", ""), ["line ", "scope"]),
        "a sent time without offset": (
            replace(good, "</sent>", "</sent><!-- -->").replace(b"+07:00</sent>", b"</sent>"),
            ["line ", "sent"],
        ),
        "malformed XML": (good.replace(b"</alert>", b"</alrt>"), ["malformed XML", "line "]),
        "not CAP at all": (b"<feed xmlns='http://www.w3.org/2005/Atom'/>", ["root element must be <alert>"]),
        "an external entity": (
            (
                f'<?xml version="1.0"?><!DOCTYPE alert [<!ENTITY x SYSTEM "file://{secret}">]>'
                f'<alert xmlns="{CAP_NS}"><identifier>&x;</identifier></alert>'
            ).encode(),
            ["DOCTYPE"],
        ),
        "a test message": (replace(good, "<status>Actual</status>", "<status>Test</status>"), ["Actual"]),
        "no language we speak": (
            replace(
                replace(good, "<language>th-TH</language>", "<language>ms-MY</language>"),
                "<language>en-US</language>",
                "<language>id-ID</language>",
            ),
            ["an <info> in a language the bot speaks is required", "en-US"],
        ),
        "other provinces": (
            areas_named(good, "Chiang Mai", "จังหวัดลำปาง", "Nan Province"),
            ["the alert is for Nan, Chiang Mai, Lampang: outside Phuket"],
        ),
        "nowhere we know": (
            areas_named(good, "Atlantis", "Lemuria", "Mu"),
            ["no <area> could be placed in Phuket"],
        ),
    }
    for name, (document, expected) in cases.items():
        response = await post_cap(api, document)
        assert response.status_code == 422, (name, response.text)
        assert "TOP-SECRET" not in response.text
        messages = " | ".join(error["msg"] for error in response.json()["detail"])
        for part in expected:
            assert part in messages, (name, messages)
    assert await alerts_in_db(api) == []
    assert (await post_cap(api, good, role="viewer")).status_code == 403


def english_areas_named(first: str, second: str, third: str) -> dict:
    """The area read from the sample with its English <areaDesc>s renamed, no geometry or geocode left."""
    document = strip_geocodes(strip_geometry(tmd_sample()))
    for old, new in zip(
        ("Patong, Karon and Kata beaches", "Kamala", "Rawai"), (first, second, third), strict=True
    ):
        document = replace(document, f"<areaDesc>{old}</areaDesc>", f"<areaDesc>{new}</areaDesc>")
    message = read_cap(parse_cap(document), default_gazetteer())
    assert message.draft is not None
    return message.draft.area.model_dump()


def test_areas_without_geometry_are_placed_by_name():
    named = english_areas_named("Patong, Karon และ Kata", "Chiang Mai", "Airport")
    assert named["zones"] == ["patong", "karon", "kata", "airport"] and not named["all_phuket"]
    assert english_areas_named("ชายฝั่งทะเลอันดามัน จังหวัดภูเก็ต", "Kamala", "Rawai")["all_phuket"]
    assert english_areas_named("Phuket", "Kamala", "Rawai")["all_phuket"]


async def test_our_cap_documents_validate_and_round_trip(api: Api):
    """JSON → CAP → read back: the same alert (texts, times, hazard, every kind of area)."""
    now = utcnow().replace(microsecond=0)
    body = alert_body(
        hazard="rip_current",
        area={
            "zones": ["kata", "karon"],
            "circles": [{"lat": 7.9, "lon": 98.3, "radius_m": 1500}],
            "polygons": [[[7.88, 98.28], [7.88, 98.31], [7.91, 98.31]]],
        },
        headline={"th": "กระแสน้ำย้อนกลับ", "en": "Rip currents at Kata and Karon", "ja": "離岸流"},
        instruction={"th": "ห้ามลงเล่นน้ำ", "en": "Do not swim", "ja": "泳がないでください"},
        description={"en": "Red flags are up."},
        effective=(now - timedelta(minutes=5)).isoformat(),
        expires=(now + timedelta(hours=4)).isoformat(),
    )
    alert = (await api.post("/api/v1/alerts", json=body)).json()["alert"]
    document = (await api.client.get(f"/api/v1/alerts/{alert['id']}/cap")).content
    assert valid(document), cap_schema().error_log
    root = parse_cap(document)
    assert [info.findtext("cap:language", namespaces=NS) for info in root.findall("cap:info", NS)] == [
        "th-TH",
        "en-US",
        "ja-JP",
    ]
    assert root.findtext("cap:info/cap:category", namespaces=NS) == "Safety"
    message = read_cap(root, default_gazetteer())
    assert message.identity.identifier == alert["identifier"] and message.identity.sender == alert["sender"]
    assert message.draft is not None
    again = message.draft.model_dump(mode="json")
    assert again["hazard"] == "rip_current"
    assert again["area"] == alert["area"]
    for field in ("headline", "instruction", "description", "severity", "urgency", "certainty"):
        assert again[field] == alert[field], field
    assert again["effective"][:19] == (now - timedelta(minutes=5)).isoformat()[:19]


async def test_a_relayed_alert_exports_as_it_came(api: Api):
    """CAP → us → CAP: identifier, sender, sent, texts and areas survive."""
    original = tmd_sample()
    alert_id = (await post_cap(api, original)).json()["alerts"][0]["alert"]["id"]
    exported = (await api.client.get(f"/api/v1/alerts/{alert_id}/cap")).content
    assert valid(exported)
    assert cap_triple(exported) == cap_triple(original)
    first = read_cap(parse_cap(original), default_gazetteer())
    second = read_cap(parse_cap(exported), default_gazetteer())
    assert second.draft == first.draft
    assert second.agency == first.agency == "Thai Meteorological Department"


async def test_feeds_list_the_alerts_in_force(api: Api):
    kept = (await api.post("/api/v1/alerts", json=alert_body())).json()["alert"]
    gone = (
        await api.post("/api/v1/alerts", json=alert_body(headline={"th": "ยกเลิก", "en": "Withdrawn"}))
    ).json()
    await api.post(f"/api/v1/alerts/{gone['alert']['id']}/cancel")
    await post_cap(api, tmd_sample())

    index = await api.client.get("/api/v1/alerts/cap.atom")
    assert index.status_code == 200 and index.headers["content-type"].startswith("application/atom+xml")
    feed = etree.fromstring(index.content)
    links = feed.xpath("atom:entry/atom:link[@rel='alternate']/@href", namespaces=ATOM)
    titles = feed.xpath("atom:entry/atom:title/text()", namespaces=ATOM)
    assert sorted(titles) == sorted(["Thunderstorm over Patong", HEADLINE_EN])
    assert f"http://bot.test/api/v1/alerts/{kept['id']}/cap" in links
    for link in links:
        linked = await api.client.get(link.removeprefix("http://bot.test"))
        assert linked.status_code == 200 and valid(linked.content)

    full = etree.fromstring((await api.client.get("/api/v1/alerts/cap")).content)
    embedded = full.xpath("atom:entry/atom:content/cap:alert", namespaces={**ATOM, "cap": CAP_NS})
    assert len(embedded) == 2
    for alert in embedded:
        assert cap_schema().validate(etree.fromstring(etree.tostring(alert)))
    identifiers = {alert.findtext("cap:identifier", namespaces=NS) for alert in embedded}
    assert identifiers == {kept["identifier"], "TMD-EQ-TSU-20261124-0315"}


def test_the_schema_is_the_oasis_cap_1_2_schema():
    schema_root = etree.parse(str(TMD_SAMPLE.parents[3] / "data" / "cap" / "CAP-v1.2.xsd")).getroot()
    assert schema_root.get("targetNamespace") == CAP_NS and schema_root.get("version") == "1.2"
    assert valid(TMD_SAMPLE.read_bytes())
