from __future__ import annotations

import pytest

from actions.places import default_gazetteer


@pytest.mark.parametrize(
    ("text", "area_id"),
    [
        ("nearest hospital to Patong", "patong"),
        ("โรงพยาบาลใกล้ป่าตองที่สุด", "patong"),
        ("โรงพยาบาลใกล้ปาตอง", "patong"),  # no tone mark
        ("芭东最近的医院", "patong"),
        ("больница на Патонге", "patong"),
        ("パトンの病院", "patong"),
        ("빠통 병원", "patong"),
        ("shelter near kata noi please", "kata_noi"),
        ("police in Kata", "kata"),
        ("Naiharn beach", "nai_harn"),
        # Spellings tourists use that the gazetteer learnt from the NLU training data.
        ("カタの病院はどこ", "kata"),
        ("빠똥 경찰서", "patong"),
        ("卡龙附近的医院", "karon"),
        ("muzha sbila mashina na Patonge", "patong"),
    ],
)
def test_finds_areas_in_any_script(text, area_id):
    match = default_gazetteer().find(text)
    assert match is not None, text
    assert match.area.id == area_id


@pytest.mark.parametrize(
    "text", ["where can I buy a sim card", "hello", "karaoke tonight?", "カタログを見せて"]
)
def test_no_area_in_unrelated_text(text):
    assert default_gazetteer().find(text) is None


def test_lookup_by_name_and_id():
    gazetteer = default_gazetteer()
    assert gazetteer.lookup("Patong Beach").id == "patong"
    assert gazetteer.lookup("patong").id == "patong"
    assert gazetteer.lookup("ไม่มีที่นี่") is None


def test_every_area_has_a_name_in_every_language():
    from actions.domain import SUPPORTED_LANGUAGES

    for area in default_gazetteer():
        assert set(SUPPORTED_LANGUAGES) <= set(area.names), area.id
