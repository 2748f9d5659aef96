"""Every conversation flow, scripted through `POST /api/v1/chat` with the real NLU service.

Each flow runs in Thai, English, Chinese and Russian; assertions are on the replies a user reads
and on the rows in the database.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from actions.db.models import Alert, Incident, IncidentAttachment, Subscription
from actions.domain import IncidentStatus
from actions.i18n import default_translator
from actions.incidents import change_status
from tests.bot.chat import Conversation
from tests.bot.conftest import make_settings, running_app

pytestmark = pytest.mark.nlu
t = default_translator()

# Coordinates of Kata beach (a shared location).
KATA = (7.8205, 98.2980)

SOS = {
    "th": "ช่วยด้วย มีคนจมน้ำ",
    "en": "HELP my friend is drowning!!",
    "zh": "救命啊 有人溺水了",
    "ru": "помогите человек тонет",
}
DETAILS = {
    "th": "ผู้ชายใส่เสื้อแดง อยู่ใกล้ธงแดง",
    "en": "man in a red shirt near the red flag",
    "zh": "穿红色衣服的男人 在红旗附近",
    "ru": "мужчина в красной футболке возле красного флага",
}
HOSPITAL_NEAR_PATONG = {
    "th": "โรงพยาบาลใกล้ป่าตองที่สุด",
    "en": "nearest hospital to Patong",
    "zh": "芭东最近的医院在哪里",
    "ru": "где ближайшая больница на Патонге",
}
WARNINGS_PATONG = {
    "th": "มีประกาศเตือนภัยที่ป่าตองไหม",
    "en": "is there any warning for Patong now?",
    "zh": "芭东现在有预警吗",
    "ru": "есть ли сейчас предупреждения на Патонге",
}
SUBSCRIBE_PATONG = {
    "th": "อยากรับการแจ้งเตือนภัยที่ป่าตอง",
    "en": "send me alerts for Patong",
    "zh": "订阅芭东的预警通知",
    "ru": "подпишите меня на оповещения по Патонгу",
}
UNSUBSCRIBE = {
    "th": "ยกเลิกการแจ้งเตือนทั้งหมด",
    "en": "unsubscribe me from all alerts",
    "zh": "取消订阅所有预警",
    "ru": "отпишите меня от всех оповещений",
}
MY_REPORT = {
    "th": "เรื่องที่แจ้งไปถึงไหนแล้ว",
    "en": "what's the status of my report?",
    "zh": "我的报告处理得怎么样了",
    "ru": "какой статус моего обращения",
}
LANGUAGES = ["th", "en", "zh", "ru"]


def matches(lang: str, key: str, text: str) -> bool:
    """Whether `text` is the catalog text `key`, whatever its placeholders were filled with."""
    parts = [re.escape(part) for part in re.split(r"\{[a-z_]+\}", t(lang, key))]
    return re.fullmatch(".+".join(parts), text, re.DOTALL) is not None


async def incidents_of(app) -> list[Incident]:
    async with app.state.sessions() as session:
        statement = select(Incident).options(selectinload(Incident.events)).order_by(Incident.id)
        return list(await session.scalars(statement))


@pytest.mark.parametrize("lang", LANGUAGES)
async def test_sos_location_details_and_photo_make_one_incident_with_four_events(database_url, nlu_url, lang):
    async with running_app(make_settings(database_url, nlu_url)) as (app, client):
        chat = Conversation(client, f"sos-{lang}")
        await chat.say(SOS[lang])
        assert chat.language == lang
        [incident] = await incidents_of(app)
        assert incident.reference in chat.text
        assert "1669" in chat.text
        assert chat.asks_for_location
        await chat.share_location(*KATA)
        await chat.say(DETAILS[lang])
        await chat.send_photo()
        assert incident.reference in chat.text
        [incident] = await incidents_of(app)
        async with app.state.sessions() as session:
            attachments = (await session.scalars(select(IncidentAttachment))).all()
    assert [event.kind for event in incident.events] == ["created", "location", "details", "photo"]
    assert incident.incident_type == "drowning"
    assert incident.status == "new"
    assert (incident.lat, incident.lon) == KATA
    assert incident.events[2].text == DETAILS[lang]
    assert incident.language == lang
    assert len(attachments) == 1 and attachments[0].data.startswith(b"\xff\xd8")


async def test_a_question_inside_an_sos_is_answered_and_kept_with_the_incident(database_url, nlu_url):
    async with running_app(make_settings(database_url, nlu_url)) as (app, client):
        chat = Conversation(client, "sos-question")
        await chat.say(SOS["en"])
        await chat.say(HOSPITAL_NEAR_PATONG["en"])
        [incident] = await incidents_of(app)
    assert chat.places[0]["name"] == "Patong Hospital"
    assert [event.kind for event in incident.events] == ["created", "details"]
    assert incident.events[1].text == HOSPITAL_NEAR_PATONG["en"]


@pytest.mark.parametrize("lang", LANGUAGES)
async def test_nearest_hospital_in_four_languages(database_url, nlu_url, lang):
    async with running_app(make_settings(database_url, nlu_url)) as (_, client):
        chat = Conversation(client, f"hospital-{lang}")
        await chat.say(HOSPITAL_NEAR_PATONG[lang])
    assert chat.language == lang
    assert len(chat.places) == 3
    assert chat.places[0]["map_url"].startswith("https://www.google.com/maps/")
    patong_hospital = {"th": "โรงพยาบาลป่าตอง", "en": "Patong Hospital"}
    if lang in patong_hospital:
        assert chat.places[0]["name"] == patong_hospital[lang]
    assert chat.places[0]["name"] in chat.text


async def add_alert(app, *, hazard="tsunami", zones=("patong",), severity="Extreme", expires_in_h=2):
    now = datetime.now(UTC)
    async with app.state.sessions() as session:
        session.add(
            Alert(
                identifier=f"test-{hazard}-{now.timestamp()}",
                sender="ddpm@example.go.th",
                agency="DDPM Phuket",
                hazard=hazard,
                severity=severity,
                urgency="Immediate",
                certainty="Observed",
                area={"zones": list(zones)},
                headline={"en": "Tsunami warning for the west coast", "th": "เตือนภัยสึนามิชายฝั่งตะวันตก"},
                instruction={"en": "Move inland and uphill now", "th": "อพยพขึ้นที่สูงทันที"},
                effective=now - timedelta(minutes=5),
                expires=now + timedelta(hours=expires_in_h),
            )
        )
        await session.commit()


@pytest.mark.parametrize("lang", LANGUAGES)
async def test_warning_status_with_and_without_warnings(database_url, nlu_url, lang):
    async with running_app(make_settings(database_url, nlu_url)) as (app, client):
        chat = Conversation(client, f"warn-{lang}")
        await chat.say(WARNINGS_PATONG[lang])
        assert matches(lang, "warnings.none", chat.text)
        await add_alert(app)
        await add_alert(app, hazard="storm", zones=("mai_khao",), severity="Moderate")
        await chat.say(WARNINGS_PATONG[lang])
    expected_headline = "เตือนภัยสึนามิชายฝั่งตะวันตก" if lang == "th" else "Tsunami warning for the west coast"
    assert expected_headline in chat.text
    assert "DDPM Phuket" in chat.text
    assert t(lang, "hazard.tsunami") in chat.text
    # The storm warning is for the far north of the island, not for Patong.
    assert t(lang, "hazard.storm") not in chat.text


async def test_shelters_during_a_tsunami_warning_are_evacuation_points(database_url, nlu_url):
    async with running_app(make_settings(database_url, nlu_url)) as (app, client):
        await add_alert(app)
        chat = Conversation(client, "tsunami")
        await chat.say("where is the nearest evacuation point near Patong?")
    assert "TSUNAMI WARNING IN FORCE" in chat.text
    assert {place["kind"] for place in chat.places} == {"evacuation_point"}


@pytest.mark.parametrize("lang", LANGUAGES)
async def test_subscribe_then_unsubscribe(database_url, nlu_url, lang):
    async with running_app(make_settings(database_url, nlu_url)) as (app, client):
        chat = Conversation(client, f"sub-{lang}")
        await chat.say(SUBSCRIBE_PATONG[lang])
        async with app.state.sessions() as session:
            [subscription] = (await session.scalars(select(Subscription))).all()
        assert subscription.area_id == "patong" and subscription.active
        area_name = app.state.dialogue._gazetteer.get("patong").name(lang)
        assert chat.text == t(lang, "subscribe.done", area=area_name, radius="2")
        await chat.say(UNSUBSCRIBE[lang])
        async with app.state.sessions() as session:
            [subscription] = (await session.scalars(select(Subscription))).all()
    assert not subscription.active
    async with app.state.sessions():
        area_name = app.state.dialogue._gazetteer.get("patong").name(lang)
    assert chat.text == t(lang, "unsubscribe.done_area", area=area_name)


@pytest.mark.parametrize("lang", LANGUAGES)
async def test_my_report_shows_history_and_nobody_else_sees_it(database_url, nlu_url, lang):
    async with running_app(make_settings(database_url, nlu_url)) as (app, client):
        reporter = Conversation(client, f"reporter-{lang}")
        await reporter.say(SOS[lang])
        [incident] = await incidents_of(app)
        await reporter.say(MY_REPORT[lang])
        assert incident.reference in reporter.text
        assert t(lang, "status.name.new") in reporter.text

        stranger = Conversation(client, f"stranger-{lang}")
        await stranger.say(f"{MY_REPORT[lang]} {incident.reference}")
        assert (
            incident.reference not in stranger.text
            or t(lang, "status.not_found", reference=incident.reference) == stranger.text
        )
        assert SOS[lang] not in stranger.text
        assert t(lang, "status.name.new") not in stranger.text
        await stranger.say(MY_REPORT[lang])
        assert stranger.text == t(lang, "status.none")


@pytest.mark.parametrize("lang", LANGUAGES)
async def test_a_responders_status_change_reaches_the_reporter_in_their_language(database_url, nlu_url, lang):
    async with running_app(make_settings(database_url, nlu_url)) as (app, client):
        reporter = Conversation(client, f"told-{lang}")
        await reporter.say(SOS[lang])
        [incident] = await incidents_of(app)
        async with app.state.sessions() as session:
            stored = await session.get(Incident, incident.id)
            await change_status(
                session,
                stored,
                IncidentStatus.DISPATCHED,
                actor="agency:tourist-police",
                now=datetime.now(UTC),
                translator=t,
            )
            await session.commit()
        await reporter.say(MY_REPORT[lang])
        [incident] = await incidents_of(app)
    notice = t(
        lang,
        "status.changed_notice",
        reference=incident.reference,
        status=t(lang, "status.name.dispatched"),
    )
    assert reporter.last["replies"][0]["text"] == notice
    assert [e.kind for e in incident.events][-1] == "status_changed"
    assert incident.events[-1].actor == "agency:tourist-police"


async def test_the_reporter_can_cancel_a_false_alarm(database_url, nlu_url):
    async with running_app(make_settings(database_url, nlu_url)) as (app, client):
        chat = Conversation(client, "false-alarm")
        await chat.say(SOS["en"])
        await chat.say("cancel")
        assert "/affirm" in chat.payloads
        await chat.say("/affirm")
        [incident] = await incidents_of(app)
    assert incident.status == "cancelled"
    assert incident.reference in chat.text


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("speak Russian please", "ru"),
        ("เปลี่ยนเป็นภาษาอังกฤษ", "en"),
        ("请用中文", "zh"),
        ("на тайском пожалуйста", "th"),
    ],
)
async def test_change_language_sticks(database_url, nlu_url, text, lang):
    async with running_app(make_settings(database_url, nlu_url)) as (_, client):
        chat = Conversation(client, f"lang-{lang}")
        await chat.say(text)
        assert chat.text == t(lang, "language.changed")
        await chat.say("hello")
    assert chat.language == lang


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("where can I find a good seafood restaurant", "en"),
        ("ร้านอาหารทะเลอร่อยๆ แถวนี้", "th"),
        ("汇率是多少", "zh"),
        ("где обменять деньги по хорошему курсу", "ru"),
    ],
)
async def test_out_of_scope_gets_an_apology_and_the_menu(database_url, nlu_url, text, lang):
    async with running_app(make_settings(database_url, nlu_url)) as (app, client):
        chat = Conversation(client, f"oos-{lang}")
        await chat.say(text)
        assert await incidents_of(app) == []
    assert t(lang, "out_of_scope") in chat.text
    assert "/find_hospital" in chat.payloads


@pytest.mark.parametrize("lang", LANGUAGES)
async def test_emergency_numbers(database_url, nlu_url, lang):
    ask = {
        "th": "เบอร์โทรฉุกเฉินมีอะไรบ้าง",
        "en": "what number do I call for an ambulance?",
        "zh": "急救电话是多少",
        "ru": "какой номер скорой помощи",
    }
    async with running_app(make_settings(database_url, nlu_url)) as (_, client):
        chat = Conversation(client, f"numbers-{lang}")
        await chat.say(ask[lang])
    for number in ("191", "1669", "199", "1155", "1784"):
        assert number in chat.text
    assert t(lang, "numbers.1155") in chat.text


async def test_an_idle_flow_expires(database_url, nlu_url):
    settings = make_settings(database_url, nlu_url, flow_timeout_minutes=0)
    async with running_app(settings) as (_, client):
        chat = Conversation(client, "idle")
        await chat.say("where is the nearest police station?")
        assert chat.asks_for_location
        # The flow has already expired: a shared location is just remembered.
        await chat.share_location(*KATA)
    assert chat.places == []
    assert chat.text == t("en", "location.saved")
