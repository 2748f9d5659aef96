"""The app under test: real settings, a real database, the real NLU service (or a dead one)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
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
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=database_url,
        nlu_url=nlu_url,
        nlu_token=NLU_TOKEN,
        **overrides,
    )


@pytest.fixture
def dead_nlu_url() -> str:
    """An address where nothing listens: the NLU service is down."""
    return f"http://127.0.0.1:{free_port()}"
