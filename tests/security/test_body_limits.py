"""Request bodies over their route's limit get 413 before anything parses them."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator

from sqlalchemy import func, select

from actions.api_keys import Role
from actions.db.models import IncidentAttachment, User
from tests.api.conftest import issue_key
from tests.bot.chat import Conversation
from tests.bot.conftest import make_settings, running_app

LIMITS = {"max_request_bytes": 4096, "max_chat_request_bytes": 64 * 1024, "max_import_request_bytes": 8192}


async def test_a_declared_body_over_the_limit_is_refused_unread(database_url, dead_nlu_url):
    async with running_app(make_settings(database_url, dead_nlu_url, **LIMITS)) as (app, client):
        _, key = await issue_key(app, Role.OPERATOR)
        big = {"status": "acknowledged", "note": "x" * 5000}
        response = await client.post(
            "/api/v1/incidents/PKT-AAAA/status", json=big, headers={"Authorization": f"Bearer {key}"}
        )
        webhook = await client.post("/webhooks/line", content=b"{" + b" " * 5000 + b"}")
    assert response.status_code == 413
    assert response.json() == {"detail": "request body too large: at most 4096 bytes are accepted here"}
    assert webhook.status_code == 413


async def test_a_streamed_body_without_a_length_is_cut_off_at_the_limit(database_url, dead_nlu_url):
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"text": "'
        for _ in range(100):
            yield b"a" * 1024
        yield b'"}'

    async with running_app(make_settings(database_url, dead_nlu_url, **LIMITS)) as (app, client):
        response = await client.post(
            "/api/v1/chat", content=chunks(), headers={"content-type": "application/json"}
        )
        async with app.state.sessions() as session:
            users = await session.scalar(select(func.count()).select_from(User))
    assert "content-length" not in response.request.headers
    assert response.status_code == 413
    assert "65536 bytes" in response.json()["detail"]
    assert users == 0


async def test_a_photo_fits_the_chat_limit_that_other_routes_do_not_allow(database_url, dead_nlu_url):
    photo = b"\xff\xd8\xff\xe0" + b"p" * 20_000
    async with running_app(make_settings(database_url, dead_nlu_url, **LIMITS)) as (app, client):
        chat = Conversation(client, "photographer")
        await chat.say("HELP fire!")
        await chat.send_photo(photo)
        _, key = await issue_key(app, Role.ADMIN)
        import_body = base64.b64encode(photo).decode()
        imported = await client.post(
            "/api/v1/places/import",
            content=import_body,
            headers={"Authorization": f"Bearer {key}", "content-type": "text/csv"},
        )
        async with app.state.sessions() as session:
            [attachment] = (await session.scalars(select(IncidentAttachment))).all()
    assert attachment.data == photo
    assert imported.status_code == 413
