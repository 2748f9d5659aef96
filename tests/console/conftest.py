"""The console under test: the real app on a real database, accounts made as the CLI makes them,
and one cookie jar per person (a signed-in browser without the browser)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from actions.api_keys import Role
from actions.console import create_account
from actions.db.base import utcnow
from actions.db.models import AuditLog, Subscription, User
from bot.settings import Settings
from tests.bot.conftest import dead_nlu_url, make_settings, running_app

__all__ = ["dead_nlu_url"]

AGENCY = "tourist-police"
PASSWORD = "correct horse battery staple"
_CSRF_META = re.compile(r'"X-CSRF-Token": "([^"]+)"')
_LOGIN_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


async def add_account(
    app: FastAPI, username: str, role: Role, *, agency: str = AGENCY, language: str = "en"
) -> None:
    async with app.state.sessions() as session:
        await create_account(
            session,
            username=username,
            password=PASSWORD,
            agency=agency,
            role=role,
            created_by="test",
            now=utcnow(),
            language=language,
        )
        await session.commit()


@dataclass
class Person:
    """One person's browser: their own cookies, and the CSRF token of their session once signed in."""

    client: httpx.AsyncClient
    csrf: str = ""

    async def sign_in(self, username: str, password: str = PASSWORD) -> httpx.Response:
        form = await self.client.get("/console/login")
        match = _LOGIN_TOKEN.search(form.text)
        assert match, form.text
        response = await self.client.post(
            "/console/login",
            data={"username": username, "password": password, "csrf_token": match.group(1)},
        )
        if response.status_code == 303:
            page = await self.client.get("/console")
            found = _CSRF_META.search(page.text)
            assert found, page.text
            self.csrf = found.group(1)
        return response

    async def get(self, url: str, **options: Any) -> httpx.Response:
        return await self.client.get(url, **options)

    async def post(
        self, url: str, data: dict[str, Any] | None = None, *, csrf: bool = True
    ) -> httpx.Response:
        headers = {"HX-Request": "true"}
        if csrf:
            headers["X-CSRF-Token"] = self.csrf
        return await self.client.post(url, data=data or {}, headers=headers)


@dataclass
class Console:
    app: FastAPI
    base_url: str
    transport: httpx.AsyncBaseTransport
    people: list[httpx.AsyncClient] = field(default_factory=list)

    def person(self) -> Person:
        client = httpx.AsyncClient(transport=self.transport, base_url=self.base_url)
        self.people.append(client)
        return Person(client)

    async def signed_in(self, username: str, role: Role, **account: Any) -> Person:
        await add_account(self.app, username, role, **account)
        person = self.person()
        response = await person.sign_in(username)
        assert response.status_code == 303, response.text
        return person

    def reporter(self) -> httpx.AsyncClient:
        """A member of the public on the web chat: their own client, so their own identity cookie."""
        client = httpx.AsyncClient(transport=self.transport, base_url=self.base_url)
        self.people.append(client)
        return client

    async def audit(self, action: str | None = None) -> list[AuditLog]:
        async with self.app.state.sessions() as session:
            statement = select(AuditLog).order_by(AuditLog.id)
            if action:
                statement = statement.where(AuditLog.action == action)
            return list(await session.scalars(statement))

    async def aclose(self) -> None:
        for client in self.people:
            await client.aclose()


def console_settings(database_url: str, nlu_url: str, **overrides: Any) -> Settings:
    return make_settings(database_url, nlu_url, delivery_worker_enabled=False, **overrides)


@pytest.fixture
async def console(database_url: str, dead_nlu_url: str) -> AsyncIterator[Console]:
    """The app (NLU down: the SOS keyword net files reports) with the demo places."""
    async with running_app(console_settings(database_url, dead_nlu_url)) as (app, client):
        running = Console(app, str(client.base_url), httpx.ASGITransport(app=app))
        yield running
        await running.aclose()


async def report_sos(reporter: httpx.AsyncClient, text: str) -> str:
    """Post an SOS to the web chat (the client's cookie jar is the reporter); the incident's reference."""
    response = await reporter.post("/api/v1/chat", json={"text": text})
    assert response.status_code == 200, response.text
    reference = response.json()["incident_reference"]
    assert reference, response.json()
    return str(reference)


async def chat_notices(reporter: httpx.AsyncClient) -> list[str]:
    """What the reporter of this client's cookie was told meanwhile."""
    response = await reporter.post("/api/v1/chat/notices", json={})
    assert response.status_code == 200, response.text
    return list(response.json()["notices"])


async def subscribe(
    app: FastAPI, channel: str, channel_user_id: str, lat: float, lon: float, *, at: datetime | None = None
) -> None:
    """A subscriber as the dialogue records one: a user with a 5 km subscription around a point."""
    async with app.state.sessions() as session:
        user = User(
            channel=channel, channel_user_id=channel_user_id, language="th", created_at=at or utcnow()
        )
        session.add(user)
        await session.flush()
        session.add(Subscription(user_id=user.id, lat=lat, lon=lon, radius_m=5000, label="test", active=True))
        await session.commit()
