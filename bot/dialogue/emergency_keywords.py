"""A keyword and pattern detector for SOS messages, used when the NLU service is unavailable.

It errs on the side of an SOS: a false alarm costs a responder a look, a miss can cost a life.
Words are matched after folding (case, compatibility forms, Thai tone marks, repeated letters).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from actions.domain import IncidentType

_THAI_TONE_MARKS = re.compile("[\u0e48-\u0e4b]")
_REPEATS = re.compile(r"(.)\1{2,}")

# Words that by themselves mean "I need emergency help", in th en zh ru ko ja de fr.
_SOS_WORDS: tuple[str, ...] = (
    # th
    "ช่วยด้วย",
    "ชวยดวย",
    "ช่วยที",
    "ช่วยหน่อย",
    "ฉุกเฉิน",
    "เรียกรถพยาบาล",
    "แจ้งเหตุ",
    "เรียกตำรวจ",
    "ขอความช่วยเหลือด่วน",
    "อันตราย",
    # en
    "sos",
    "help me",
    "help!",
    "help us",
    "helpp",
    "emergency",
    "call an ambulance",
    "call ambulance",
    "call the police",
    "call police",
    "need ambulance",
    "urgent help",
    "mayday",
    # zh
    "救命",
    "救救",
    "紧急",
    "急救",
    "叫救护车",
    "报警",
    "快来人",
    "帮帮我",
    # ru
    "помогите",
    "помоги",
    "спасите",
    "на помощь",
    "срочно помощь",
    "вызовите скорую",
    "скорую",
    "вызовите полицию",
    "sos",
    "pomogite",
    # ko
    "살려",
    "도와주세요",
    "도와줘",
    "긴급",
    "응급",
    "구급차",
    "경찰 불러",
    "신고해",
    # ja
    "助けて",
    "たすけて",
    "救急車",
    "緊急",
    "警察を呼んで",
    "やばい助け",
    # de
    "hilfe",
    "notfall",
    "krankenwagen",
    "rettungswagen",
    "notarzt",
    "polizei rufen",
    # fr
    "au secours",
    "aidez-moi",
    "aidez moi",
    "à l'aide",
    "a l'aide",
    "urgence",
    "appelez une ambulance",
    "ambulance",
    "appelez la police",
)

# Words that name what is happening; each also counts as an SOS on its own.
_TYPE_WORDS: dict[IncidentType, tuple[str, ...]] = {
    IncidentType.DROWNING: (
        "จมน้ำ",
        "จะจม",
        "คลื่นดูด",
        "drown",
        "drowning",
        "rip current",
        "swept away",
        "溺水",
        "淹",
        "离岸流",
        "тонет",
        "тону",
        "утонул",
        "утопа",
        "унесло течением",
        "물에 빠",
        "익사",
        "溺れ",
        "流され",
        "ertrink",
        "ertrunken",
        "noyade",
        "se noie",
        "noyé",
    ),
    IncidentType.FIRE: (
        "ไฟไหม้",
        "ไฟลุก",
        "fire",
        "burning",
        "smoke everywhere",
        "着火",
        "失火",
        "火灾",
        "пожар",
        "горит",
        "불이",
        "화재",
        "火事",
        "火災",
        "feuer",
        "brand",
        "brennt",
        "incendie",
        "au feu",
    ),
    IncidentType.TRAFFIC_ACCIDENT: (
        "รถชน",
        "อุบัติเหตุ",
        "รถล้ม",
        "มอไซค์ล้ม",
        "accident",
        "crash",
        "hit by a car",
        "车祸",
        "撞车",
        "被车撞",
        "авария",
        "дтп",
        "сбила машина",
        "разбился",
        "교통사고",
        "사고",
        "事故",
        "unfall",
        "accident de",
        "collision",
    ),
    IncidentType.CRIME: (
        "โดนปล้น",
        "ถูกปล้น",
        "โจร",
        "ขโมย",
        "ถูกทำร้าย",
        "โดนทำร้าย",
        "ข่มขืน",
        "robbed",
        "robbery",
        "stolen",
        "attacked",
        "assault",
        "thief",
        "stabbed",
        "rape",
        "抢劫",
        "被偷",
        "小偷",
        "被打",
        "ограбили",
        "украли",
        "напали",
        "избили",
        "강도",
        "도둑",
        "폭행",
        "強盗",
        "盗まれ",
        "襲われ",
        "überfall",
        "ausgeraubt",
        "bestohlen",
        "angegriffen",
        "volé",
        "vol ",
        "agressé",
        "agression",
    ),
    IncidentType.MEDICAL: (
        "หมดสติ",
        "เป็นลม",
        "หัวใจวาย",
        "เลือดออก",
        "บาดเจ็บ",
        "งูกัด",
        "แมงกะพรุน",
        "ชัก",
        "unconscious",
        "not breathing",
        "heart attack",
        "bleeding",
        "collapsed",
        "injured",
        "snake bite",
        "jellyfish",
        "seizure",
        "overdose",
        "晕倒",
        "昏迷",
        "流血",
        "心脏病",
        "受伤",
        "без сознания",
        "не дышит",
        "кровь",
        "инфаркт",
        "упал",
        "травма",
        "ранен",
        "укус",
        "медуза",
        "의식",
        "피가",
        "심장",
        "다쳤",
        "意識",
        "血が",
        "倒れ",
        "怪我",
        "bewusstlos",
        "blutet",
        "herzinfarkt",
        "verletzt",
        "inconscient",
        "saigne",
        "crise cardiaque",
        "blessé",
    ),
    IncidentType.MISSING_PERSON: (
        "เด็กหาย",
        "ลูกหาย",
        "คนหาย",
        "หาไม่เจอ",
        "missing",
        "lost my child",
        "lost my son",
        "lost my daughter",
        "can't find my",
        "孩子不见",
        "走丢",
        "失踪",
        "找不到",
        "пропал",
        "пропала",
        "потерялся",
        "потерялась",
        "실종",
        "아이를 잃어",
        "迷子",
        "行方不明",
        "vermisst",
        "verschwunden",
        "disparu",
        "perdu mon",
        "perdu ma",
    ),
    IncidentType.NATURAL_DISASTER: (
        "สึนามิมา",
        "น้ำท่วม",
        "ดินถล่ม",
        "แผ่นดินไหว",
        "tsunami coming",
        "flooding",
        "landslide",
        "earthquake",
        "海啸来了",
        "洪水",
        "地震",
        "山体滑坡",
        "цунами идет",
        "наводнение",
        "оползень",
        "землетрясение",
        "쓰나미가",
        "홍수",
        "지진",
        "津波が来",
        "洪水",
        "土砂崩れ",
        "überschwemmung",
        "erdbeben",
        "erdrutsch",
        "inondation",
        "tremblement de terre",
        "glissement de terrain",
    ),
}


def fold(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    text = _THAI_TONE_MARKS.sub("", text)
    return _REPEATS.sub(r"\1", text)


def _folded_terms(words: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(sorted({fold(word) for word in words}, key=len, reverse=True))


_FOLDED_SOS = _folded_terms(_SOS_WORDS)
_FOLDED_TYPES = {kind: _folded_terms(words) for kind, words in _TYPE_WORDS.items()}
# Latin and Cyrillic words start a word; short ones must also end it ("fire" is not "firework"),
# longer ones are stems ("drown" covers "drowning").
_WORD_SCRIPT = re.compile(r"^[a-zа-яёäöüßàâçéèêëîïôûùœ' !\-]+$")
_LETTER = "a-zа-яёäöüßàâçéèêëîïôûùœ"


def _contains(haystack: str, term: str) -> bool:
    if _WORD_SCRIPT.match(term):
        word = re.escape(term.strip())
        tail = f"(?![{_LETTER}])" if len(term.strip()) <= 4 else ""
        return re.search(f"(?<![{_LETTER}]){word}{tail}", haystack) is not None
    return term in haystack


@dataclass(frozen=True, slots=True)
class EmergencySignal:
    incident_type: IncidentType
    matched: str


def detect_emergency(text: str) -> EmergencySignal | None:
    """An SOS with its likely type, or None when nothing in the text sounds like one."""
    folded = fold(text)
    for kind, terms in _FOLDED_TYPES.items():
        for term in terms:
            if _contains(folded, term):
                return EmergencySignal(kind, term)
    for term in _FOLDED_SOS:
        if _contains(folded, term):
            return EmergencySignal(IncidentType.UNKNOWN, term)
    return None
