"""Message rates and the cap on new incidents: a flood is slowed down, an SOS is never dropped."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from actions.api_keys import Role
from actions.db.models import Incident
from actions.domain import IncidentType
from actions.handlers.numbers import NUMBERS_BY_TYPE
from actions.i18n import default_translator
from tests.api.conftest import issue_key
from tests.bot.channels.conftest import (
    line_settings,
    line_text,
    post_line,
    post_telegram,
    telegram_message,
    telegram_settings,
    texts,
)
from tests.bot.chat import Conversation, browser
from tests.bot.conftest import make_settings, running_app

t = default_translator()
SOS = "HELP!! my friend is drowning"


def slow_down(language: str = "en") -> str:
    numbers = "\n".join(t(language, f"numbers.{n}") for n in NUMBERS_BY_TYPE[IncidentType.UNKNOWN])
    return t(language, "abuse.slow_down", numbers=numbers)


async def all_incidents(app) -> list[Incident]:
    async with app.state.sessions() as session:
        statement = select(Incident).options(selectinload(Incident.events)).order_by(Incident.id)
        return list(await session.scalars(statement))


async def test_above_the_rate_a_web_user_is_slowed_down_and_an_sos_is_still_recorded(
    database_url, dead_nlu_url
):
    settings = make_settings(database_url, dead_nlu_url, rate_limit_user_per_minute=3)
    async with running_app(settings) as (app, client):
        chat = Conversation(client, "flooder")
        within = [await chat.say("/emergency_numbers") for _ in range(3)]
        above = await chat.say("/emergency_numbers")
        sos = await chat.say(SOS)
        reference = chat.last["incident_reference"]
        _, key = await issue_key(app, Role.VIEWER)
        seen = await client.get(f"/api/v1/incidents/{reference}", headers={"Authorization": f"Bearer {key}"})
        listed = await client.get("/api/v1/incidents", headers={"Authorization": f"Bearer {key}"})
        [incident] = await all_incidents(app)

    assert all("191" in text and text != slow_down() for text in within)
    assert above == slow_down()
    # The SOS above the rate: recorded, told its reference and the numbers, marked for responders.
    assert reference in sos and "1669" in sos
    assert incident.rate_limited is True and incident.incident_type == "drowning"
    assert seen.json()["rate_limited"] is True
    assert listed.json()["items"][0]["rate_limited"] is True


async def test_an_sos_within_the_rate_is_not_marked(database_url, dead_nlu_url):
    async with running_app(make_settings(database_url, dead_nlu_url)) as (app, client):
        await Conversation(client, "calm").say(SOS)
        [incident] = await all_incidents(app)
    assert incident.rate_limited is False


async def test_above_the_rate_a_location_still_joins_the_open_sos(database_url, dead_nlu_url):
    settings = make_settings(database_url, dead_nlu_url, rate_limit_user_per_minute=1)
    async with running_app(settings) as (app, client):
        chat = Conversation(client, "in-trouble")
        await chat.say(SOS)
        await chat.share_location(7.8205, 98.2980)
        await chat.say("he is wearing a red shirt")
        [incident] = await all_incidents(app)
    assert [event.kind for event in incident.events] == ["created", "location", "details"]
    assert incident.events[2].text == "he is wearing a red shirt"


async def test_the_address_rate_covers_cookie_less_clients_and_ignores_forged_forwarding(
    database_url, dead_nlu_url
):
    settings = make_settings(database_url, dead_nlu_url, rate_limit_address_per_minute=3)
    async with running_app(settings) as (_, client):
        answers = []
        for number in range(5):
            # A new browser each time (no cookie), claiming another address it is not behind.
            response = await browser(client).post(
                "/api/v1/chat",
                json={"text": "/emergency_numbers"},
                headers={"X-Forwarded-For": f"203.0.113.{number}"},
            )
            answers.append(response.json()["replies"][0]["text"])
    assert [text == slow_down() for text in answers] == [False, False, False, True, True]


async def test_behind_a_trusted_proxy_each_forwarded_address_has_its_own_rate(database_url, dead_nlu_url):
    settings = make_settings(
        database_url, dead_nlu_url, rate_limit_address_per_minute=1, trusted_proxies="127.0.0.1/32, ::1"
    )
    async with running_app(settings) as (_, client):
        answers = []
        for address in ["203.0.113.1", "203.0.113.2", "203.0.113.1"]:
            response = await browser(client).post(
                "/api/v1/chat",
                json={"text": "/emergency_numbers"},
                # The client's own claim first, then what our proxy saw.
                headers={"X-Forwarded-For": f"10.9.9.9, {address}"},
            )
            answers.append(response.json()["replies"][0]["text"])
    assert [text == slow_down() for text in answers] == [False, False, True]


async def test_beyond_the_cap_new_sos_reports_from_one_address_join_the_latest_open_incident(
    database_url, dead_nlu_url
):
    settings = make_settings(database_url, dead_nlu_url, incidents_per_address_per_hour=2)
    async with running_app(settings) as (app, client):
        first, second, third = (Conversation(client, name) for name in ("one", "two", "three"))
        await first.say(SOS)
        await second.say("FIRE in my hotel, help")
        grouped = await third.say("help, someone was robbed")
        await third.share_location(7.8205, 98.2980)
        incidents = await all_incidents(app)

    assert len(incidents) == 2
    latest = incidents[1]
    numbers = "\n".join(t("en", f"numbers.{n}") for n in NUMBERS_BY_TYPE[IncidentType.CRIME])
    assert grouped.startswith(t("en", "sos.grouped", reference=latest.reference, numbers=numbers))
    assert third.last["incident_reference"] == latest.reference
    kinds = [(event.kind, event.text) for event in latest.events]
    assert kinds[:2] == [
        ("created", "FIRE in my hotel, help"),
        ("grouped_report", "help, someone was robbed"),
    ]
    assert kinds[2][0] == "location"
    assert latest.events[1].data["incident_type"] == "crime"


async def test_beyond_the_cap_with_nothing_open_an_sos_still_makes_an_incident(database_url, dead_nlu_url):
    settings = make_settings(database_url, dead_nlu_url, incidents_per_address_per_hour=1)
    async with running_app(settings) as (app, client):
        first = Conversation(client, "resolved")
        await first.say(SOS)
        _, key = await issue_key(app, Role.OPERATOR)
        resolved = await client.post(
            f"/api/v1/incidents/{first.last['incident_reference']}/status",
            json={"status": "resolved"},
            headers={"Authorization": f"Bearer {key}"},
        )
        second = Conversation(client, "new-emergency")
        await second.say(SOS)
        incidents = await all_incidents(app)
    assert resolved.status_code == 200
    assert len(incidents) == 2
    assert second.last["incident_reference"] == incidents[1].reference


async def test_a_line_user_above_the_rate_is_slowed_down_and_their_sos_recorded(
    database_url, dead_nlu_url, line_api
):
    settings = line_settings(database_url, dead_nlu_url, line_api, rate_limit_user_per_minute=2)
    async with running_app(settings) as (app, client):
        for text in ["/emergency_numbers", "/emergency_numbers", "/emergency_numbers", SOS]:
            response = await post_line(client, line_text("U-flood", line_api.reply_token("U-flood"), text))
            assert response.status_code == 200
            await app.state.messengers.drain()
        [incident] = await all_incidents(app)
    answers = [texts(call.data["messages"]) for call in line_api.calls("reply")]
    assert [answer == slow_down() for answer in answers[:3]] == [False, False, True]
    assert incident.reference in answers[3] and incident.rate_limited is True


async def test_a_telegram_chat_above_the_rate_is_slowed_down_and_its_sos_recorded(
    database_url, dead_nlu_url, telegram_api
):
    settings = telegram_settings(database_url, dead_nlu_url, telegram_api, rate_limit_user_per_minute=2)
    async with running_app(settings) as (app, client):
        for text in ["/emergency_numbers", "/emergency_numbers", "/emergency_numbers", SOS]:
            response = await post_telegram(client, telegram_message(777, text=text))
            assert response.status_code == 200
            await app.state.messengers.drain()
        [incident] = await all_incidents(app)
    answers = [message["text"] for message in telegram_api.sent(777)]
    assert [answer == slow_down() for answer in answers[:3]] == [False, False, True]
    assert incident.reference in answers[3] and incident.rate_limited is True
