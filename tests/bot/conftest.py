"""The app under test: real settings, a real database, the real NLU service (or a dead one)."""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from bot.app import create_app
from bot.settings import Settings
from tests.conftest import NLU_TOKEN, free_port

AppFactory = Callable[..., Any]


@asynccontextmanager
async def running_app(settings: Settings) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bot.test") as client:
            yield app, client


def make_settings(database_url: str, nlu_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        # Every test client comes from the same address: per-address limits are tested on their own.
        "rate_limit_address_per_minute": 100_000,
        "incidents_per_address_per_hour": 100_000,
        # Each app its own journal: one test's kept reports never replay into another's database.
        "sos_journal_dir": Path(tempfile.mkdtemp(prefix="sos-journal-")),
        **overrides,
    }
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=database_url,
        nlu_url=nlu_url,
        nlu_token=NLU_TOKEN,
        **values,
    )


@pytest.fixture
def dead_nlu_url() -> str:
    """An address where nothing listens: the NLU service is down."""
    return f"http://127.0.0.1:{free_port()}"
