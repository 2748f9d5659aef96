"""PostgreSQL stopped in the middle of a chat and started again: clear 503s, no lost incident.

During the outage an SOS (and a location that may belong to one) is kept in the SOS journal and
answered with the numbers; once the database is back the journal is replayed, the incident exists
with the time it was reported, and the reporter reads its reference at their next turn.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from actions.api_keys import Role
from actions.db.models import Incident
from actions.domain import IncidentType
from actions.handlers.numbers import NUMBERS_BY_TYPE
from actions.i18n import default_translator
from tests.api.conftest import issue_key
from tests.bot.channels.conftest import line_settings, line_text, post_line, texts
from tests.bot.chat import Conversation
from tests.bot.conftest import make_settings, running_app
from tests.security.postgres_server import PostgresServer, require_postgres_binaries

pytestmark = pytest.mark.postgres
t = default_translator()
THAI_SOS = "ช่วยด้วย มีคนจมน้ำ"
KATA = (7.8205, 98.2980)


@pytest.fixture
def postgres_server() -> Iterator[PostgresServer]:
    server = PostgresServer(require_postgres_binaries())
    try:
        server.init()
        server.start()
        yield server
    finally:
        server.remove()


def numbers(language: str, incident_type: IncidentType) -> str:
    return "\n".join(t(language, f"numbers.{n}") for n in NUMBERS_BY_TYPE[incident_type])


async def wait_until_replayed(journal_dir, *, limit_s: float = 60.0) -> None:
    """The replayer runs every 0.2 s here; give it a bounded while (this is no timing assertion)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit_s
    while any(journal_dir.glob("*.json")):
        assert loop.time() < deadline, "the SOS journal was not replayed"
        await asyncio.sleep(0.2)


async def test_postgres_restarted_mid_chat_loses_no_incident(postgres_server, dead_nlu_url):
    settings = make_settings(
        postgres_server.url, dead_nlu_url, load_demo_places=False, sos_journal_replay_interval_s=0.2
    )
    async with running_app(settings) as (app, client):
        _, key = await issue_key(app, Role.VIEWER)
        agency = {"Authorization": f"Bearer {key}"}
        before = Conversation(client, "before")
        await before.say("HELP!! my friend is drowning")
        first_reference = before.last["incident_reference"]

        postgres_server.stop()
        # The database is down.
        question = await before.client.post("/api/v1/chat", json={"text": "/find_hospital"})
        during = Conversation(client, "during")
        sos = await during.client.post("/api/v1/chat", json={"text": THAI_SOS, "message_id": "d-1"})
        located = await during.client.post(
            "/api/v1/chat", json={"location": {"lat": KATA[0], "lon": KATA[1]}, "message_id": "d-2"}
        )
        listing = await client.get("/api/v1/incidents", headers=agency)
        ready = await client.get("/readyz")
        kept = sorted(settings.sos_journal_dir.glob("*.json"))
        sent_at = datetime.now(UTC)

        postgres_server.start()
        await wait_until_replayed(settings.sos_journal_dir)
        # The same browsers go on as before.
        next_turn = await during.say("/incident_status")
        after = await before.say("/emergency_numbers")
        listed = await client.get("/api/v1/incidents", headers=agency)
        async with app.state.sessions() as session:
            statement = select(Incident).options(selectinload(Incident.events)).order_by(Incident.id)
            incidents = list(await session.scalars(statement))

    # During the outage: a clear 503, with the numbers; the SOS and the location are kept.
    assert question.status_code == 503
    body = question.json()
    assert body["saved"] is False and "temporarily unavailable" in body["detail"]
    assert body["replies"][0]["text"] == t(
        "en", "outage.unavailable", numbers=numbers("en", IncidentType.UNKNOWN)
    )
    assert sos.status_code == 503 and sos.json()["saved"] is True
    assert sos.json()["language"] == "th"
    kept_text = t("th", "outage.sos_kept", numbers=numbers("th", IncidentType.DROWNING))
    assert sos.json()["replies"][0]["text"] == kept_text
    assert located.status_code == 503 and located.json()["saved"] is True
    assert listing.status_code == 503 and listing.json()["detail"]
    assert ready.status_code == 503 and ready.json()["checks"]["database"] == "down"
    assert len(kept) == 2

    # After: nothing lost, nothing twice; the reporter is told the reference at the next turn.
    assert [incident.reference == first_reference for incident in incidents] == [True, False]
    replayed = incidents[1]
    assert replayed.incident_type == "drowning" and replayed.language == "th" and replayed.channel == "web"
    assert [event.kind for event in replayed.events] == ["created", "location"]
    assert (replayed.lat, replayed.lon) == KATA
    assert replayed.created_at < sent_at  # recorded with the time it was reported
    assert replayed.reference in next_turn
    assert during.last["incident_reference"] == replayed.reference
    assert "191" in after and before.last["language"] == "en"
    assert listed.status_code == 200 and listed.json()["total"] == 2


async def test_on_line_an_sos_during_the_outage_is_acknowledged_and_the_rest_redelivered(
    postgres_server, dead_nlu_url, line_api
):
    settings = line_settings(
        postgres_server.url, dead_nlu_url, line_api, load_demo_places=False, sos_journal_replay_interval_s=0.2
    )
    async with running_app(settings) as (app, client):
        postgres_server.stop()
        sos_event = line_text("U-outage", line_api.reply_token("U-outage"), THAI_SOS)
        help_event = line_text("U-outage", line_api.reply_token("U-outage"), "/help")
        sos = await post_line(client, sos_event)
        question = await post_line(client, help_event)
        await app.state.messengers.drain()
        answered_during = [texts(call.data["messages"]) for call in line_api.calls("reply")]

        postgres_server.start()
        await wait_until_replayed(settings.sos_journal_dir)
        redelivered = await post_line(client, {**help_event, "deliveryContext": {"isRedelivery": True}})
        await app.state.messengers.drain()
        async with app.state.sessions() as session:
            [incident] = (await session.scalars(select(Incident))).all()

    # The SOS is kept (acknowledged: LINE need not send it again); the question is not (503).
    assert (sos.status_code, question.status_code, redelivered.status_code) == (200, 503, 200)
    assert answered_during[0] == t("th", "outage.sos_kept", numbers=numbers("th", IncidentType.DROWNING))
    assert "1669" in answered_during[1]
    assert incident.channel == "line" and incident.incident_type == "drowning"
    # The reporter is pushed the reference once the report reached the database.
    pushed = [texts(call.data["messages"]) for call in line_api.calls("push")]
    assert any(incident.reference in text for text in pushed)
