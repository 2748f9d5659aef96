"""`safety-bot places import`: validated, reported by line, nothing half-imported."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from actions.db.models import Place
from actions.db.session import create_engine
from bot.cli import main
from bot.settings import get_settings

ROOT = Path(__file__).resolve().parents[2]
HEADER = "id,kind,lat,lon,name_th,name_en,phone,area,source,verified\n"


@pytest.fixture
def cli_database(database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield database_url
    get_settings.cache_clear()


def count_places(database_url: str) -> int:
    async def run() -> int:
        engine = create_engine(database_url)
        try:
            async with engine.connect() as connection:
                return int(await connection.scalar(select(func.count()).select_from(Place)) or 0)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def test_import_the_demo_folder(cli_database):
    result = CliRunner().invoke(main, ["places", "import", str(ROOT / "data" / "places")])
    assert result.exit_code == 0, result.output
    assert "new" in result.output
    assert count_places(cli_database) > 50


def test_a_bad_row_aborts_the_whole_import(cli_database, tmp_path):
    path = tmp_path / "agency.csv"
    path.write_text(
        HEADER
        + "h-1,hospital,7.90,98.30,โรงพยาบาล,Hospital One,,,agency,false\n"
        + "h-2,hospital,7.90,,โรงพยาบาล,Hospital Two,,,agency,false\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["places", "import", str(path)])
    assert result.exit_code == 1
    assert "line 3" in result.output
    assert "nothing imported" in result.output
    # The good row was not written either (the database may not even exist yet).
    runner = CliRunner().invoke(main, ["db", "upgrade"])
    assert runner.exit_code == 0
    assert count_places(cli_database) == 0
