"""With the NLU service down or slow: readiness says so, SOS still works, the rest gets the menu."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from actions.db.models import Incident, IncidentEvent
from tests.bot.conftest import make_settings, running_app
from tests.conftest import free_port


async def test_readyz_reports_the_nlu_down(database_url, dead_nlu_url):
    async with running_app(make_settings(database_url, dead_nlu_url)) as (_, client):
        health = await client.get("/healthz")
        ready = await client.get("/readyz")
    assert health.status_code == 200
    assert ready.status_code == 503
    assert ready.json()["down"] == ["nlu"]
    assert ready.json()["checks"]["database"] == "ok"


async def test_without_nlu_a_question_gets_the_menu_not_an_error(database_url, dead_nlu_url):
    async with running_app(make_settings(database_url, dead_nlu_url)) as (_, client):
        response = await client.post("/api/v1/chat", json={"text": "nearest hospital to Patong"})
    assert response.status_code == 200
    reply = response.json()["replies"][0]
    assert "191" in reply["text"] and "1669" in reply["text"]
    assert "/find_hospital" in [b["payload"] for b in reply["buttons"]]


async def test_without_nlu_a_menu_button_still_works(database_url, dead_nlu_url):
    async with running_app(make_settings(database_url, dead_nlu_url)) as (_, client):
        await client.post("/api/v1/chat", json={"text": "/find_hospital"})
        response = await client.post("/api/v1/chat", json={"location": {"lat": 7.8965, "lon": 98.3019}})
    places = response.json()["replies"][0]["places"]
    assert places[0]["name"] == "Patong Hospital"


async def test_without_nlu_a_thai_sos_still_creates_the_incident(database_url, dead_nlu_url):
    async with running_app(make_settings(database_url, dead_nlu_url)) as (app, client):
        response = await client.post("/api/v1/chat", json={"text": "ช่วยด้วย มีคนจมน้ำ"})
        async with app.state.sessions() as session:
            incident = (await session.scalars(select(Incident))).one()
            events = (await session.scalars(select(IncidentEvent))).all()
    body = response.json()
    assert response.status_code == 200
    assert body["language"] == "th"
    assert incident.incident_type == "drowning"
    assert [event.kind for event in events] == ["created"]
    assert incident.reference in body["replies"][0]["text"]
    assert "1669" in body["replies"][0]["text"]


@pytest.fixture
async def slow_nlu_url() -> AsyncIterator[str]:
    """An NLU service that accepts the request and never answers within the bot's timeout."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(65536)
        await asyncio.sleep(30)
        writer.close()

    port = free_port()
    server = await asyncio.start_server(handle, "127.0.0.1", port)
    yield f"http://127.0.0.1:{port}"
    server.close()


async def test_a_slow_nlu_service_does_not_hold_up_an_sos(database_url, slow_nlu_url):
    settings = make_settings(database_url, slow_nlu_url, nlu_timeout_s=0.3)
    async with running_app(settings) as (app, client):
        response = await client.post("/api/v1/chat", json={"text": "HELP!! my friend is drowning"})
        async with app.state.sessions() as session:
            incident = (await session.scalars(select(Incident))).one()
    assert response.status_code == 200
    assert incident.incident_type == "drowning"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"text": "   "},
        {"user_id": "u5", "text": "   "},
        {"text": "hi", "location": {"lat": 1, "lon": 2}},
        {"location": {"lat": 100, "lon": 2}},
        {"text": "hi", "unexpected": True},
        {"user_id": "x" * 129, "text": "hi"},
    ],
)
async def test_malformed_chat_requests_get_400(database_url, dead_nlu_url, body):
    async with running_app(make_settings(database_url, dead_nlu_url)) as (_, client):
        response = await client.post("/api/v1/chat", json=body)
    assert response.status_code == 400
    assert response.json()["detail"]


async def test_a_body_that_is_not_json_gets_400(database_url, dead_nlu_url):
    async with running_app(make_settings(database_url, dead_nlu_url)) as (_, client):
        response = await client.post(
            "/api/v1/chat", content=b"{not json", headers={"content-type": "application/json"}
        )
    assert response.status_code == 400


async def test_the_chat_page_is_served(database_url, dead_nlu_url):
    async with running_app(make_settings(database_url, dead_nlu_url)) as (_, client):
        response = await client.get("/")
    assert response.status_code == 200
    assert "/api/v1/chat" in response.text
