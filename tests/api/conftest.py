"""The agency API under test: the real app on a real database, keys issued as the CLI issues them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from actions.api_keys import Role, create_key
from actions.db.base import utcnow
from actions.db.models import AuditLog, Incident, User
from actions.domain import EventKind, IncidentType
from actions.incidents import add_event, create_incident
from bot.settings import Settings
from tests.bot.channels.conftest import line_api
from tests.bot.conftest import dead_nlu_url, make_settings, running_app

# Fixtures shared with tests/bot, used here too.
__all__ = ["dead_nlu_url", "line_api"]

AGENCY = "tourist-police"
PATONG_HOSPITAL = {
    "id": "hosp-patong",
    "kind": "hospital",
    "names": {"th": "โรงพยาบาลป่าตอง", "en": "Patong Hospital"},
    "lat": 7.8924,
    "lon": 98.2981,
    "phone": "076 342 633",
    "area": "patong",
    "source": "Phuket Provincial Health Office",
    "verified": True,
}


@dataclass
class Api:
    """The running app, a client, and one key of each role (`keys["operator"]` is a Bearer key)."""

    app: FastAPI
    client: httpx.AsyncClient
    keys: dict[str, str] = field(default_factory=dict)

    def auth(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[role]}"}

    async def get(self, url: str, role: str = "viewer", **options: Any) -> httpx.Response:
        return await self.client.get(url, headers=self.auth(role), **options)

    async def post(self, url: str, role: str = "operator", **options: Any) -> httpx.Response:
        headers = {**self.auth(role), **options.pop("headers", {})}
        return await self.client.post(url, headers=headers, **options)

    async def put(self, url: str, role: str = "admin", **options: Any) -> httpx.Response:
        return await self.client.put(url, headers=self.auth(role), **options)

    async def delete(self, url: str, role: str = "admin") -> httpx.Response:
        return await self.client.delete(url, headers=self.auth(role))

    async def audit(self) -> list[AuditLog]:
        async with self.app.state.sessions() as session:
            return list(await session.scalars(select(AuditLog).order_by(AuditLog.id)))


async def issue_key(app: FastAPI, role: Role, agency: str = AGENCY) -> tuple[int, str]:
    """A key as `safety-bot agency add-key` makes one: its number and the key itself."""
    async with app.state.sessions() as session:
        new = await create_key(session, agency=agency, role=role, created_by="test", now=utcnow())
        await session.commit()
        return new.key.id, new.secret


@asynccontextmanager
async def open_api(settings: Settings) -> AsyncIterator[Api]:
    async with running_app(settings) as (app, client):
        running = Api(app, client)
        for role in Role:
            _, running.keys[role.value] = await issue_key(app, role)
        yield running


@pytest.fixture
async def api(database_url: str, dead_nlu_url: str) -> AsyncIterator[Api]:
    """The app with the NLU down (nothing here needs it) and no demo places."""
    async with open_api(make_settings(database_url, dead_nlu_url, load_demo_places=False)) as running:
        yield running


async def add_incident(
    app: FastAPI,
    *,
    user: str,
    incident_type: IncidentType = IncidentType.MEDICAL,
    at: datetime | None = None,
    lat: float | None = None,
    lon: float | None = None,
    status: str | None = None,
    language: str = "en",
) -> str:
    """An incident as the dialogue records one (the user, the incident, its events); its reference."""
    now = at or utcnow()
    async with app.state.sessions() as session:
        reporter = await session.scalar(
            select(User).where(User.channel == "web", User.channel_user_id == user)
        )
        if reporter is None:
            reporter = User(channel="web", channel_user_id=user, language=language, created_at=now)
            session.add(reporter)
            await session.flush()
        incident = await create_incident(
            session,
            user=reporter,
            incident_type=incident_type,
            language=language,
            raw_text=f"help: {incident_type.value}",
            now=now,
            actor=f"user:{user}",
        )
        if lat is not None and lon is not None:
            incident.lat, incident.lon = lat, lon
            data = {"lat": lat, "lon": lon}
            await add_event(session, incident, EventKind.LOCATION, actor=f"user:{user}", now=now, data=data)
        if status is not None:
            incident.status = status
        await session.commit()
        return incident.reference


async def incident_row(app: FastAPI, reference: str) -> Incident:
    async with app.state.sessions() as session:
        incident = await session.scalar(select(Incident).where(Incident.reference == reference))
        assert incident is not None
        return incident
