"""Through `POST /api/v1/chat` with the real NLU service and a real database."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from actions.db.models import Incident
from tests.bot.conftest import make_settings, running_app

pytestmark = pytest.mark.nlu


async def chat(client, text=None, location=None, **extra):
    """One message of the client's user (the client's cookie is who it is)."""
    body = dict(extra)
    if text is not None:
        body["text"] = text
    if location is not None:
        body["location"] = location
    response = await client.post("/api/v1/chat", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def all_text(answer) -> str:
    return "\n".join(reply["text"] for reply in answer["replies"])


async def test_nearest_hospital_to_patong_in_english(database_url, nlu_url):
    async with running_app(make_settings(database_url, nlu_url)) as (_, client):
        answer = await chat(client, "nearest hospital to Patong")
    assert answer["language"] == "en"
    places = [p for reply in answer["replies"] for p in reply["places"]]
    assert next(p["name"] for p in places) == "Patong Hospital"
    assert len(places) == 3
    text = all_text(answer)
    assert "Nearest hospitals to Patong" in text
    assert "Patong Hospital" in text and "https://www.google.com/maps/" in text
    assert places[0]["distance_m"] < 2000


async def test_nearest_hospital_to_patong_in_thai(database_url, nlu_url):
    async with running_app(make_settings(database_url, nlu_url)) as (_, client):
        answer = await chat(client, "โรงพยาบาลใกล้ป่าตองที่สุด")
    assert answer["language"] == "th"
    places = [p for reply in answer["replies"] for p in reply["places"]]
    assert places[0]["name"] == "โรงพยาบาลป่าตอง"
    assert "โรงพยาบาลที่ใกล้" in all_text(answer)


async def test_hospital_question_without_a_place_asks_for_the_location_then_answers(database_url, nlu_url):
    async with running_app(make_settings(database_url, nlu_url)) as (_, client):
        first = await chat(client, "where is the nearest hospital?")
        assert first["replies"][-1]["request_location"] is True
        # Karon beach: the nearest hospital is not the one in Patong town centre.
        second = await chat(client, location={"lat": 7.8460, "lon": 98.2940})
    names = [p["name"] for reply in second["replies"] for p in reply["places"]]
    assert len(names) == 3
    assert "Nearest hospitals" in all_text(second)


async def test_greeting_gets_the_menu_in_the_users_language(database_url, nlu_url):
    async with running_app(make_settings(database_url, nlu_url)) as (_, client):
        answer = await chat(client, "สวัสดีครับ")
    assert answer["language"] == "th"
    buttons = [b["payload"] for reply in answer["replies"] for b in reply["buttons"]]
    assert "/find_hospital" in buttons and "/report_emergency" in buttons


async def test_an_sos_is_recorded_before_the_reply(database_url, nlu_url, sessions=None):
    settings = make_settings(database_url, nlu_url)
    async with running_app(settings) as (app, client):
        answer = await chat(client, "HELP my friend is drowning at Kata beach!!")
        async with app.state.sessions() as session:
            incident = (await session.scalars(select(Incident))).one()
    assert answer["incident_reference"] == incident.reference
    assert incident.reference in all_text(answer)
    assert incident.incident_type == "drowning"
    assert incident.status == "new"
    assert "1669" in all_text(answer)


async def test_the_same_message_id_is_answered_once(database_url, nlu_url):
    async with running_app(make_settings(database_url, nlu_url)) as (app, client):
        first = await chat(client, "SOS fire in my hotel in Patong", message_id="m-1")
        again = await chat(client, "SOS fire in my hotel in Patong", message_id="m-1")
        async with app.state.sessions() as session:
            count = await session.scalar(select(func.count()).select_from(Incident))
    assert count == 1
    assert again["replies"] == first["replies"]
