"""Shared fixtures: databases (SQLite and a real PostgreSQL), the served NLU model, the app.

Every database test gets a fresh database at the schema's head: a copy of one migrated once per
test session (a file copy for SQLite, `CREATE DATABASE ... TEMPLATE` for PostgreSQL), which
costs a few milliseconds instead of running every migration again. Under pytest-xdist each worker
has its own PostgreSQL databases (`<name>_gw0`, ...).
"""

from __future__ import annotations

import asyncio
import os
import shutil
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
# "gw0", "gw1", ... under pytest-xdist; empty in a single process.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
# Tests report lines for the summary's "fuzzing" section as this user property.
FUZZ_PROPERTY = "fuzz_summary"
_FUZZ_LINES: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    # Runs where the reports arrive (the xdist controller too): collect the fuzz runs' counts.
    if report.when == "call":
        _FUZZ_LINES.extend(str(value) for name, value in report.user_properties if name == FUZZ_PROPERTY)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The fuzz runs' counts (cases, server errors) in the summary, and so in the CI log."""
    if _FUZZ_LINES:
        terminalreporter.section("fuzzing")
        for line in sorted(_FUZZ_LINES):
            terminalreporter.write_line(line)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _postgres_url() -> str:
    url = make_url(os.environ.get("TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL))
    if WORKER:
        url = url.set(database=f"{url.database}_{WORKER}")
    return url.render_as_string(hide_password=False)


async def _reset_postgres(url: str) -> None:
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.execute(text("DROP SCHEMA public CASCADE"))
            await connection.execute(text("CREATE SCHEMA public"))
    finally:
        await engine.dispose()


class PostgresDatabases:
    """Fresh test databases cloned from a template migrated once; a schema reset where cloning is refused.

    Cloning needs the CREATEDB privilege; without it every test resets the `public` schema of the
    database TEST_POSTGRES_URL names and migrates it, as before.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        parsed = make_url(url)
        self._name = str(parsed.database)
        self._template = f"{self._name}_template"
        self._server = {
            "host": parsed.host or "127.0.0.1",
            "port": parsed.port or 5432,
            "user": parsed.username,
            "password": parsed.password,
            "database": "postgres",
        }
        self._cloning: bool | None = None

    async def _admin(self, *statements: str) -> None:
        import asyncpg

        connection = await asyncpg.connect(**self._server)
        try:
            for statement in statements:
                await connection.execute(statement)
        finally:
            await connection.close()

    async def _prepare_template(self) -> bool:
        try:
            await self._admin(
                f'DROP DATABASE IF EXISTS "{self._template}" WITH (FORCE)',
                f'CREATE DATABASE "{self._template}"',
            )
        except Exception as exc:  # no CREATEDB privilege, no maintenance database, ...
            print(f"\nPostgreSQL tests reset one database's schema per test (cloning refused: {exc})")
            return False
        engine = create_engine(make_url(self.url).set(database=self._template).render_as_string(False))
        try:
            await upgrade_database(engine)
        finally:
            await engine.dispose()
        return True

    async def fresh(self) -> str:
        if self._cloning is None:
            self._cloning = await self._prepare_template()
        if self._cloning:
            await self._admin(
                f'DROP DATABASE IF EXISTS "{self._name}" WITH (FORCE)',
                f'CREATE DATABASE "{self._name}" TEMPLATE "{self._template}"',
            )
        else:
            await _reset_postgres(self.url)
        return self.url


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


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite database migrated to the head once per session; each test gets a copy."""
    path = tmp_path_factory.mktemp("template") / "template.db"

    async def migrate() -> None:
        engine = create_engine(f"sqlite+aiosqlite:///{path}")
        try:
            await upgrade_database(engine)
            # One file, no write-ahead log beside it: a plain copy is the whole database.
            async with engine.begin() as connection:
                await connection.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        finally:
            await engine.dispose()

    asyncio.run(migrate())
    return path


@pytest.fixture(scope="session")
def postgres_databases() -> PostgresDatabases:
    return PostgresDatabases(_postgres_url())


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh database at the schema's head, of each kind; the same tests run on both."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        shutil.copyfile(template, tmp_path / "test.db")
        return f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"
    databases: PostgresDatabases = request.getfixturevalue("postgres_databases")
    _require_postgres(databases.url)
    return asyncio.run(databases.fresh())


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
    log = (ROOT / "models" / f"test-nlu-server{'-' + WORKER if WORKER else ''}.log").open("w")
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
