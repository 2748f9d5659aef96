"""The demo place set loaded into an empty database (see data/places/README.md)."""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from actions.places import count_places, place_files, read_places, upsert_places

logger = logging.getLogger(__name__)

DEMO_PLACES_DIR = Path(__file__).resolve().parents[1] / "data" / "places"


async def load_demo_places(sessions: async_sessionmaker[AsyncSession], folder: Path = DEMO_PLACES_DIR) -> int:
    """Import the demo places when the table is empty; return how many were imported."""
    async with sessions() as session:
        if await count_places(session):
            return 0
        records = read_places(place_files(folder))
        summary = await upsert_places(session, records)
        await session.commit()
    logger.info("loaded %d demo places from %s", summary.created, folder)
    return summary.created
