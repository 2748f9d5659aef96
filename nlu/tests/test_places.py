"""Place names found in messages: any script, spelling variants, Russian inflection, no false hits."""

from __future__ import annotations

from pathlib import Path

import pytest

from phuket_nlu.places import PlaceNameFinder, place_names

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def finder():
    return PlaceNameFinder(place_names([ROOT / "data" / "places"]))


def found(finder, text):
    return [text[start:end] for start, end in finder.spans(text)]


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("nearest hospital to Patong??", ["Patong"]),
        ("ambulance to KATA-NOI beach now", ["KATA-NOI beach"]),
        ("Kata Noi", ["Kata Noi"]),
        ("ไปหาดกะตะยังไง", ["หาดกะตะ"]),
        # Thai tone marks are often left out or misplaced: the name is found either way.
        ("โรงพยาบาลใกล้ปาตองที่สุด", ["ปาตอง"]),
        ("芭东最近的医院在哪里", ["芭东"]),
        ("パトンの病院はどこ", ["パトン"]),
        ("сколько идти от Карона до Каты", ["Карона", "Каты"]),
        ("Где больница на Патонге?", ["Патонге"]),
        # A name ending in a vowel keeps it too (Бангтао, Май Кхао do not decline).
        ("мы на Банг Тао, а друзья в Май Кхао", ["Банг Тао", "Май Кхао"]),
        ("カタの病院はどこ", ["カタ"]),
    ],
)
def test_names_are_found_with_their_offsets(finder, text, names):
    assert found(finder, text) == names


@pytest.mark.parametrize(
    "text", ["Katastrophe!", "the katana", "I need help", "Патонгеевка", "катер на Рачу", "カタログ", ""]
)
def test_no_name_inside_another_word(finder, text):
    assert found(finder, text) == []


def test_longest_name_wins():
    finder = PlaceNameFinder(["Kata", "Kata Noi"])
    assert finder.spans("at kata noi beach") == [(3, 11)]


def test_no_names_finds_nothing():
    assert PlaceNameFinder([]).spans("Patong") == []
