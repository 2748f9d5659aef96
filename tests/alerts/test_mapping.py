"""CAP `<event>`/`<category>` to our hazards: English and Thai keywords, then the category, else other."""

from __future__ import annotations

import pytest

from actions.cap.mapping import hazard_of

CASES = [
    ("Tsunami Warning", ["Geo"], "tsunami"),
    ("เตือนภัยคลื่นสึนามิ", ["Geo"], "tsunami"),
    ("Flash Flood Warning", ["Met"], "flood"),
    ("น้ำป่าไหลหลาก", ["Met"], "flood"),
    ("Landslide risk", ["Geo"], "landslide"),
    ("ดินโคลนถล่ม", ["Geo"], "landslide"),
    ("Rip Current Statement", ["Met"], "rip_current"),
    ("คลื่นดูด", ["Safety"], "rip_current"),
    ("Tropical Depression", ["Met"], "storm"),
    ("พายุฤดูร้อน", ["Met"], "storm"),
    ("คลื่นลมแรงทะเลอันดามัน", ["Met"], "storm"),
    ("Wildfire", ["Fire"], "fire"),
    ("Building collapse", ["Fire", "Rescue"], "fire"),
    ("Civil unrest", ["Security"], "public_order"),
    ("Suspicious package", ["Security"], "public_order"),
    ("Heat wave", ["Met"], "other"),
    ("Earthquake felt", ["Geo"], "other"),
]


@pytest.mark.parametrize(("event", "categories", "hazard"), CASES)
def test_events_map_to_our_hazards(event: str, categories: list[str], hazard: str) -> None:
    assert hazard_of(event, categories) == hazard
