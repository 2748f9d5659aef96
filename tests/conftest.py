"""Shared fixtures: databases (SQLite and a real PostgreSQL), the served NLU model, the app."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from actions.db.migrate import upgrade_database
from actions.db.session import create_engine, create_session_factory

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "models" / "nlu.tar.gz"
DEFAULT_POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
NLU_TOKEN = "test-token-" + uuid.uuid4().hex[:8]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _postgres_url() -> str:
    return os.environ.get("TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)


async def _reset_postgres(url: str) -> None:
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.execute(text("DROP SCHEMA public CASCADE"))
            await connection.execute(text("CREATE SCHEMA public"))
    finally:
        await engine.dispose()


def _require_postgres(url: str) -> None:
    """Fail loudly when PostgreSQL is unreachable; skip only when that was asked for explicitly."""
    parsed = make_url(url)
    try:
        with socket.create_connection((parsed.host or "127.0.0.1", parsed.port or 5432), timeout=2):
            return
    except OSError as exc:
        message = (
            f"PostgreSQL is not reachable at {parsed.render_as_string(hide_password=True)} ({exc}). "
            "Start it or set TEST_POSTGRES_URL; set SKIP_POSTGRES_TESTS=1 to skip these tests."
        )
    if os.environ.get("SKIP_POSTGRES_TESTS") == "1":
        pytest.skip("SKIPPED ON PURPOSE (SKIP_POSTGRES_TESTS=1): " + message)
    pytest.fail(message, pytrace=False)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database of each kind; the same tests run on both."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"
    url = _postgres_url()
    _require_postgres(url)
    asyncio.run(_reset_postgres(url))
    return url


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    await upgrade_database(engine)
    yield engine
    await engine.dispose()


@pytest.fixture
def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return create_session_factory(engine)


@pytest.fixture(scope="session")
def nlu_url() -> Iterator[str]:
    """The trained model served by a real `rasa run --enable-api` (one per test session)."""
    if not MODEL.exists():
        pytest.fail(f"{MODEL} is missing: run `make nlu-train` (make test does it)", pytrace=False)
    port = free_port()
    env = {**os.environ, "NLU_PORT": str(port), "NLU_TOKEN": NLU_TOKEN}
    log = (ROOT / "models" / "test-nlu-server.log").open("w")
    process = subprocess.Popen(
        [str(ROOT / "scripts" / "nlu-serve.sh")], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 300
    try:
        while True:
            if process.poll() is not None:
                pytest.fail(f"rasa run exited with {process.returncode}; see {log.name}", pytrace=False)
            try:
                response = httpx.get(f"{url}/status", params={"token": NLU_TOKEN}, timeout=2)
                if response.status_code == 200 and response.json().get("model_file"):
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("the NLU service did not become ready", pytrace=False)
            time.sleep(0.5)
        # The first parse builds TensorFlow's graph; do it here, not inside a test's 1.5 s budget.
        warm = httpx.post(
            f"{url}/model/parse", params={"token": NLU_TOKEN}, json={"text": "hello"}, timeout=120
        )
        warm.raise_for_status()
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
