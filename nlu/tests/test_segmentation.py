"""The tokenizer's segmentation, without training: runs in the NLU project's Python 3.10."""

from __future__ import annotations

import itertools

import pytest

from phuket_nlu.segmentation import default_segmenter


@pytest.fixture(scope="module")
def segmenter():
    return default_segmenter(
        thai_words=["ป่าตอง", "กะรน", "หาดกะตะ"],
        chinese_words=["芭东", "卡伦"],
        japanese_words=["パトン", "カロン"],
    )


def assert_well_formed(text, words):
    for word in words:
        assert word.text.strip(), f"empty or whitespace token in {text!r}: {word}"
        assert 0 <= word.start < word.end <= len(text)
        assert not text[word.start : word.end].isspace()
        assert text[word.start : word.end].strip() == text[word.start : word.end]
    starts = [w.start for w in words]
    assert starts == sorted(starts), "tokens out of order"
    for left, right in itertools.pairwise(words):
        assert left.end <= right.start, "tokens overlap"


CASES = {
    "thai": ("โรงพยาบาลใกล้ป่าตองที่สุด", ["โรงพยาบาล", "ใกล้", "ป่าตอง", "ที่สุด"]),
    "thai with spaces": ("ช่วยด้วย  มีคนจมน้ำ", ["ช่วยด้วย", "มี", "คน", "จมน้ำ"]),
    "mixed thai english": ("ขอhospitalใกล้ patong หน่อย", ["ขอ", "hospital", "ใกล้", "patong", "หน่อย"]),
    "english punctuation": ("nearest hospital to Patong??!", ["nearest", "hospital", "to", "Patong"]),
    "digits": ("call 1669 or 191, room 12.5", ["call", "1669", "or", "191", "room", "12.5"]),
    "case id": ("status of PKT-7K3Q and #42", ["status", "of", "PKT-7K3Q", "and", "#42"]),
    "emoji": ("HELP 🆘🆘 drowning 🌊", ["HELP", "🆘", "🆘", "drowning", "🌊"]),
    "chinese": ("芭东最近的医院在哪里？", ["芭东", "最近", "的", "医院", "在", "哪里"]),
    "japanese": ("パトンの病院はどこ", ["パトン", "の", "病院", "は", "どこ"]),
    "russian": ("Где больница на Патонге?", ["Где", "больница", "на", "Патонге"]),
    "korean": ("빠똥 병원 어디예요", ["빠똥", "병원", "어디예요"]),
}


@pytest.mark.parametrize("name", list(CASES))
def test_segments_and_offsets(segmenter, name):
    text, expected = CASES[name]
    words = segmenter.segment(text)
    assert_well_formed(text, words)
    assert [w.text for w in words] == expected
    # Offsets index the original text exactly.
    assert [text[w.start : w.end] for w in words] == expected


def test_place_dictionary_keeps_place_names_whole(segmenter):
    words = segmenter.segment("ไปหาดกะตะยังไง")
    assert "หาดกะตะ" in [w.text for w in words]


def test_stretched_letters_are_folded_but_offsets_cover_what_was_typed(segmenter):
    text = "ช่วยยยยยด้วย!!! HEEEELP"
    words = segmenter.segment(text)
    assert_well_formed(text, words)
    assert [w.text for w in words] == ["ช่วยด้วย", "HELP"]
    assert [text[w.start : w.end] for w in words] == ["ช่วยยยยยด้วย", "HEEEELP"]


def test_full_width_and_zero_width_characters(segmenter):
    text = "ｈｅｌｐ\u3000ｍｅ ป่า\u200bตอง"
    words = segmenter.segment(text)
    assert_well_formed(text, words)
    assert [w.text for w in words] == ["help", "me", "ป่าตอง"]
    assert text[words[0].start : words[0].end] == "ｈｅｌｐ"
    assert text[words[2].start : words[2].end] == "ป่า\u200bตอง"


def test_only_punctuation_still_gives_a_token(segmenter):
    text = "  ?? :) "
    words = segmenter.segment(text)
    assert_well_formed(text, words)
    assert [w.text for w in words] == ["??", ":)"]


@pytest.mark.parametrize("text", ["", "   ", "\u200b"])
def test_nothing_to_segment(segmenter, text):
    assert segmenter.segment(text) == []
