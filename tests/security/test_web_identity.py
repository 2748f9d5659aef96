"""The web chat's user is the server's signed cookie, never the `user_id` a client puts in the body."""

from __future__ import annotations

from http.cookies import SimpleCookie

import httpx
from sqlalchemy import func, select

from actions.db.models import Incident, ServerSecret, User
from actions.i18n import default_translator
from bot.security.identity import COOKIE_NAME, WebIdentities
from tests.bot.chat import Conversation, browser
from tests.bot.conftest import make_settings, running_app

t = default_translator()
SOS = "HELP!! my friend is drowning"


def issued_cookie(response: httpx.Response) -> SimpleCookie:
    cookie = SimpleCookie()
    cookie.load(response.headers["set-cookie"])
    return cookie


async def test_a_first_request_gets_a_signed_httponly_samesite_cookie(database_url, dead_nlu_url):
    async with running_app(make_settings(database_url, dead_nlu_url)) as (_, client):
        response = await client.post("/api/v1/chat", json={"text": "/help"})
    assert response.status_code == 200
    morsel = issued_cookie(response)[COOKIE_NAME]
    identity, _, signature = morsel.value.rpartition(".")
    assert identity.startswith("web-") and len(signature) >= 40
    assert morsel["httponly"] is True
    assert morsel["samesite"].lower() == "lax"
    assert not morsel["secure"]  # plain http (local); see the next test for https
    assert int(morsel["max-age"]) > 30 * 24 * 3600


async def test_the_cookie_is_secure_when_served_over_https(database_url, dead_nlu_url):
    async with running_app(make_settings(database_url, dead_nlu_url)) as (app, _):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="https://bot.test") as client:
            response = await client.post("/api/v1/chat", json={"text": "/help"})
    assert issued_cookie(response)[COOKIE_NAME]["secure"] is True


async def test_a_cookie_less_request_with_a_known_user_id_sees_nothing_of_that_user(
    database_url, dead_nlu_url
):
    async with running_app(make_settings(database_url, dead_nlu_url)) as (app, client):
        victim = Conversation(client, "victim")
        await victim.send({"text": SOS, "message_id": "victim-1"})
        reference = victim.last["incident_reference"]
        async with app.state.sessions() as session:
            victim_id = (await session.scalars(select(User.channel_user_id))).one()

        # The attacker knows the victim's id and message id, and sends them the old way.
        attacker = browser(client)
        status = await attacker.post("/api/v1/chat", json={"user_id": victim_id, "text": "/incident_status"})
        by_reference = await attacker.post(
            "/api/v1/chat",
            json={"user_id": victim_id, "text": f'/incident_status{{"case_id": "{reference}"}}'},
        )
        replayed = await attacker.post(
            "/api/v1/chat", json={"user_id": victim_id, "text": SOS, "message_id": "victim-1"}
        )
        async with app.state.sessions() as session:
            users = await session.scalar(select(func.count()).select_from(User))
            incidents = list(await session.scalars(select(Incident).order_by(Incident.id)))

    assert status.json()["replies"][0]["text"] == t("en", "status.none")
    assert by_reference.json()["replies"][0]["text"] == t("en", "status.not_found", reference=reference)
    # The victim's recorded answer (their reference) is not handed out for their message id.
    assert reference not in str(replayed.json())
    assert SOS not in str(status.json()) + str(by_reference.json())
    # The attacker is a user of their own: their SOS is their own incident, not the victim's.
    assert users == 2
    assert len(incidents) == 2 and incidents[0].user_id != incidents[1].user_id


async def test_a_forged_or_foreign_cookie_starts_a_new_user(database_url, dead_nlu_url):
    async with running_app(make_settings(database_url, dead_nlu_url)) as (_, client):
        victim = Conversation(client, "victim")
        await victim.say(SOS)
        victim_cookie = victim.client.cookies[COOKIE_NAME]
        identity = victim_cookie.rpartition(".")[0]
        forgeries = [
            f"{identity}.{'A' * 43}",  # the right id, a made-up signature
            identity,  # no signature at all
            WebIdentities(b"another server's secret").cookie_value(identity),
        ]
        answers = []
        for forged in forgeries:
            response = await browser(client).post(
                "/api/v1/chat",
                json={"text": "/incident_status"},
                headers={"cookie": f"{COOKIE_NAME}={forged}"},
            )
            answers.append(
                (response.json()["replies"][0]["text"], issued_cookie(response)[COOKIE_NAME].value)
            )
        mine = await victim.say("/incident_status")

    for text, new_cookie in answers:
        assert text == t("en", "status.none")
        assert new_cookie.rpartition(".")[0] != identity
    # The real cookie still works: the victim sees their report.
    assert victim.last["incident_reference"] in mine and mine != t("en", "status.none")


async def test_without_a_configured_secret_restarts_keep_the_cookies_valid(database_url, dead_nlu_url):
    settings = make_settings(database_url, dead_nlu_url)
    async with running_app(settings) as (_, client):
        chat = Conversation(client, "returning")
        await chat.say(SOS)
        cookie = chat.client.cookies[COOKIE_NAME]
        reference = chat.last["incident_reference"]
    # The app restarts (a second process would read the same stored secret).
    async with running_app(settings) as (app, client):
        again = browser(client)
        again.cookies.set(COOKIE_NAME, cookie)
        response = await again.post("/api/v1/chat", json={"text": "/incident_status"})
        async with app.state.sessions() as session:
            secrets = await session.scalar(select(func.count()).select_from(ServerSecret))
    assert reference in response.json()["replies"][0]["text"]
    assert secrets == 1


async def test_a_configured_secret_is_used_and_nothing_is_stored(database_url, dead_nlu_url):
    settings = make_settings(database_url, dead_nlu_url, web_session_secret="configured-secret-" + "x" * 20)
    async with running_app(settings) as (app, client):
        response = await client.post("/api/v1/chat", json={"text": "/help"})
        async with app.state.sessions() as session:
            secrets = await session.scalar(select(func.count()).select_from(ServerSecret))
    cookie = issued_cookie(response)[COOKIE_NAME].value
    assert WebIdentities(b"configured-secret-" + b"x" * 20).identity_of(cookie) is not None
    assert secrets == 0
