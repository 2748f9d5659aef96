"""`safety-bot worker`: a delivery worker in a process of its own, stopped by SIGTERM or SIGINT."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Collection

from actions.db.migrate import upgrade_database
from actions.db.session import create_engine, create_session_factory
from bot.broadcast.worker import DeliveryWorker
from bot.settings import Settings

logger = logging.getLogger(__name__)


async def run_worker_process(settings: Settings, channels: Collection[str]) -> None:
    """Deliver until a signal asks to stop; sends in flight finish and are recorded first."""
    # One INFO line per HTTP request would cost more than the request at broadcast rates.
    logging.getLogger("httpx").setLevel(max(logging.WARNING, logging.getLogger().level))
    engine = create_engine(settings.database_url)
    try:
        await upgrade_database(engine)
        worker = DeliveryWorker.from_settings(settings, create_session_factory(engine), channels=channels)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, worker.stop)
        try:
            await worker.run()
        finally:
            await worker.aclose()
    finally:
        await engine.dispose()
