"""What Thai feeds do: Buddhist Era years, areas given only as a <geocode> or a province name,
and areas outside Phuket (left out with a note, or the whole message refused)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from actions.alerts.references import PHUKET_OFFSET
from actions.cap import CapError, CapMessage, OutsidePhuket, parse_cap, read_cap
from actions.cap.dates import parse_feed_time
from actions.db.base import utcnow
from actions.places import default_gazetteer
from tests.alerts.conftest import Api, buddhist_era, cap_document, post_cap

PATONG_ZONES = ["patong", "kalim", "tri_trang", "paradise_beach", "freedom_beach"]


def read(document: bytes) -> CapMessage:
    return read_cap(parse_cap(document), default_gazetteer())


def area(*parts: str, description: str = "Phuket") -> str:
    return f"<area><areaDesc>{description}</areaDesc>{''.join(parts)}</area>"


def geocode(name: str, value: str) -> str:
    return f"<geocode><valueName>{name}</valueName><value>{value}</value></geocode>"


async def test_buddhist_era_dates_are_read_as_the_years_they_are(api: Api):
    now = utcnow().replace(microsecond=0)
    document = cap_document(
        sent=buddhist_era(now),
        effective=buddhist_era(now - timedelta(minutes=5)),
        expires=buddhist_era(now + timedelta(hours=3)),
    )
    assert f"<sent>{now.astimezone(PHUKET_OFFSET).year + 543}-".encode() in document
    response = await post_cap(api, document)
    assert response.status_code == 201, response.text
    alert = response.json()["alerts"][0]["alert"]
    assert datetime.fromisoformat(alert["effective"]) == now - timedelta(minutes=5)
    assert datetime.fromisoformat(alert["expires"]) == now + timedelta(hours=3)
    assert alert["in_force"] is True
    # `sent` is what later Updates quote: kept as a Gregorian CAP time.
    assert alert["sent"] == now.astimezone(PHUKET_OFFSET).isoformat()


def test_a_buddhist_era_leap_day_is_a_date():
    """29 February 2567 BE is 29 February 2024; there is no such day in a year numbered 2567 AD."""
    message = read(cap_document(sent="2567-02-29T10:15:00+07:00", effective="2567-02-29T10:15:00+07:00"))
    assert message.identity.sent == datetime(2024, 2, 29, 3, 15, tzinfo=UTC)
    assert message.draft is not None and message.draft.effective == datetime(2024, 2, 29, 3, 15, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Thu, 29 Feb 2567 10:15:00 +0700", datetime(2024, 2, 29, 3, 15, tzinfo=UTC)),
        ("Mon, 24 Nov 2025 10:15:00 GMT", datetime(2025, 11, 24, 10, 15, tzinfo=UTC)),
        ("2568-11-24T10:15:00+07:00", datetime(2025, 11, 24, 3, 15, tzinfo=UTC)),
        ("2025-11-24T03:15:00Z", datetime(2025, 11, 24, 3, 15, tzinfo=UTC)),
        ("2025-11-24T10:15:00", None),
        ("yesterday", None),
        ("", None),
    ],
)
def test_feed_dates_in_either_era(text: str, expected: datetime | None):
    assert parse_feed_time(text) == expected


@pytest.mark.parametrize(
    ("areas", "expected"),
    [
        # TIS 1099: the province, a district, a subdistrict; ISO 3166-2.
        (area(geocode("TIS1099", "83")), {"all_phuket": True}),
        (area(geocode("TIS-1099", "830202"), description="ต.ป่าตอง"), {"zones": PATONG_ZONES}),
        (area(geocode("TIS1099", "8301")), {"zones_include": ["phuket_town", "karon", "kata", "rawai"]}),
        (area(geocode("ISO 3166-2", "TH-83")), {"all_phuket": True}),
        (area(geocode("ISO3166-2", "TH-83"), description="จังหวัดภูเก็ต"), {"all_phuket": True}),
        # A province name alone, however it is written.
        (area(description="จังหวัดภูเก็ต"), {"all_phuket": True}),
        (area(description="Changwat Phuket"), {"all_phuket": True}),
        (area(description="จ.ภูเก็ต"), {"all_phuket": True}),
    ],
)
def test_areas_given_only_as_geocodes_or_province_names_are_placed_in_phuket(areas: str, expected: dict):
    message = read(cap_document(areas=areas))
    assert message.draft is not None
    placed = message.draft.area.model_dump()
    if "zones_include" in expected:
        assert set(expected["zones_include"]) <= set(placed["zones"]) and "patong" not in placed["zones"]
    elif "zones" in expected:
        assert placed["zones"] == expected["zones"] and not placed["all_phuket"]
    else:
        assert placed["all_phuket"] is True
    assert message.notes == []


def test_areas_outside_phuket_are_left_out_with_a_note():
    message = read(
        cap_document(
            areas=area(geocode("TIS1099", "830202"), description="Patong")
            + area(geocode("TIS1099", "81"), description="Krabi")
            + area(description="จังหวัดพังงา")
            + area(
                "<polygon>13.70,100.45 13.80,100.45 13.80,100.60 13.70,100.45</polygon>",
                description="Bangkok",
            )
        )
    )
    assert message.draft is not None and message.draft.area.zones == PATONG_ZONES
    assert message.notes == [
        "Krabi is outside Phuket; ignored",
        "Phang Nga is outside Phuket; ignored",
        "the <polygon> of 'Bangkok' is outside Phuket; ignored",
    ]


@pytest.mark.parametrize(
    "areas",
    [
        area(geocode("TIS1099", "82"), description="Phang Nga"),
        area(geocode("ISO 3166-2", "TH-81")),
        area(description="Krabi Province"),
        area("<circle>18.79,98.98 20</circle>", description="Chiang Mai"),
    ],
)
def test_a_message_only_for_other_provinces_is_outside_phuket(areas: str):
    with pytest.raises(OutsidePhuket, match="outside Phuket"):
        read(cap_document(areas=areas))


def test_a_geocode_we_do_not_know_is_said_and_the_name_still_places_the_area():
    message = read(cap_document(areas=area(geocode("SAME", "012345"), description="Kata")))
    assert message.draft is not None and message.draft.area.zones == ["kata"]
    assert message.notes == ["<geocode> SAME=012345 in area 'Kata' is not a code we know"]
    with pytest.raises(CapError, match="no <area> could be placed in Phuket"):
        read(cap_document(areas=area(geocode("SAME", "012345"), description="Somewhere")))
