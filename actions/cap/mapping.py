"""How CAP's `<event>`, `<category>` and `<language>` map onto ours, and back.

An event is matched by keyword (English and Thai, case-insensitive, first row that matches wins);
failing that the category decides; failing that the hazard is ``other``.
"""

from __future__ import annotations

from actions.alerts.vocabulary import Hazard

# (keywords found in <event>, hazard). Order matters: "flash flood" before "storm" words.
EVENT_KEYWORDS: tuple[tuple[tuple[str, ...], Hazard], ...] = (
    (("tsunami", "สึนามิ"), Hazard.TSUNAMI),
    (("landslide", "mudslide", "mudflow", "ดินถล่ม", "ดินโคลนถล่ม", "ดินสไลด์"), Hazard.LANDSLIDE),
    (("flood", "น้ำท่วม", "น้ำป่า", "น้ำล้นตลิ่ง"), Hazard.FLOOD),
    (("rip current", "rip tide", "คลื่นดูด", "กระแสน้ำย้อนกลับ", "กระแสน้ำรีพ"), Hazard.RIP_CURRENT),
    (
        (
            "storm",
            "typhoon",
            "cyclone",
            "tropical depression",
            "monsoon",
            "strong wind",
            "high wave",
            "heavy rain",
            "พายุ",
            "ดีเปรสชัน",
            "มรสุม",
            "ลมแรง",
            "คลื่นลมแรง",
            "คลื่นสูง",
            "ฝนตกหนัก",
        ),
        Hazard.STORM,
    ),
    (("wildfire", "forest fire", "fire", "ไฟป่า", "ไฟไหม้", "เพลิงไหม้", "อัคคีภัย"), Hazard.FIRE),
    (
        ("civil unrest", "public order", "riot", "protest", "terror", "ความไม่สงบ", "จลาจล", "ชุมนุม"),
        Hazard.PUBLIC_ORDER,
    ),
)

# <category> values that name a hazard on their own.
CATEGORY_HAZARDS: dict[str, Hazard] = {"Fire": Hazard.FIRE, "Security": Hazard.PUBLIC_ORDER}

# What we write: (<category>, English <event>) per hazard; the event is also given in each
# <info>'s own language (the catalogs' ``hazard.*`` texts).
HAZARD_CATEGORIES: dict[Hazard, str] = {
    Hazard.TSUNAMI: "Geo",
    Hazard.STORM: "Met",
    Hazard.FLOOD: "Met",
    Hazard.LANDSLIDE: "Geo",
    Hazard.RIP_CURRENT: "Safety",
    Hazard.FIRE: "Fire",
    Hazard.PUBLIC_ORDER: "Security",
    Hazard.OTHER: "Other",
}

# The <language> we write for each supported language (RFC 3066 tags, as CAP 1.2 asks).
LANGUAGE_TAGS: dict[str, str] = {
    "th": "th-TH",
    "en": "en-US",
    "zh": "zh-CN",
    "ru": "ru-RU",
    "ko": "ko-KR",
    "ja": "ja-JP",
    "de": "de-DE",
    "fr": "fr-FR",
}


def hazard_of(event: str, categories: list[str]) -> Hazard:
    """Our hazard for a CAP event name and its categories (``other`` when nothing matches)."""
    text = event.casefold()
    for keywords, hazard in EVENT_KEYWORDS:
        if any(keyword in text for keyword in keywords):
            return hazard
    for category in categories:
        if category in CATEGORY_HAZARDS:
            return CATEGORY_HAZARDS[category]
    return Hazard.OTHER
