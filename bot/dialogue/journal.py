"""The SOS journal: reports that arrive while the database is down, kept on disk until it is back.

Each report is one JSON file, written to a temporary name, fsynced and renamed into place (a crash
leaves either the whole report or nothing). The replayer feeds them to the dialogue in arrival
order once the database answers; the message id makes a replay idempotent, so two processes
replaying the same directory, or a platform redelivering the same event, record it once.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import os
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from actions.db.availability import database_unavailable
from actions.places.geo import Point
from bot.channels.base import IncomingMessage
from bot.dialogue.understanding import Understanding

logger = logging.getLogger(__name__)

_SUFFIX = ".json"


@dataclass(frozen=True, slots=True)
class JournalEntry:
    path: Path
    message: IncomingMessage
    understanding: Understanding


def _encode(message: IncomingMessage, understanding: Understanding) -> dict[str, Any]:
    return {
        "message": {
            "channel": message.channel,
            "user_id": message.user_id,
            "text": message.text,
            "location": [message.location.lat, message.location.lon] if message.location else None,
            "photo": base64.b64encode(message.photo).decode() if message.photo is not None else None,
            "photo_content_type": message.photo_content_type,
            "message_id": message.message_id,
            "language_hint": message.language_hint,
            "display_name": message.display_name,
            "client_key": message.client_key,
            "received_at": message.received_at.isoformat() if message.received_at else None,
        },
        "understanding": asdict(understanding),
    }


def _decode(path: Path, record: dict[str, Any]) -> JournalEntry:
    fields = dict(record["message"])
    if fields["location"] is not None:
        fields["location"] = Point(*fields["location"])
    if fields["photo"] is not None:
        fields["photo"] = base64.b64decode(fields["photo"])
    if fields["received_at"] is not None:
        fields["received_at"] = datetime.fromisoformat(fields["received_at"])
    return JournalEntry(path, IncomingMessage(**fields), Understanding(**record["understanding"]))


class SosJournal:
    """A directory of reports waiting for the database."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    async def keep(self, message: IncomingMessage, understanding: Understanding) -> Path:
        """Write the report durably; only then may the user be told it is saved."""
        return await asyncio.to_thread(self._write, _encode(message, understanding))

    def _write(self, record: dict[str, Any]) -> Path:
        self.directory.mkdir(parents=True, exist_ok=True)
        name = f"{time.time_ns():020d}-{uuid.uuid4().hex}"
        temporary = self.directory / f".{name}.tmp"
        final = self.directory / f"{name}{_SUFFIX}"
        with temporary.open("w", encoding="utf-8") as handle:
            json.dump(record, handle, ensure_ascii=False)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, final)
        directory = os.open(self.directory, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
        logger.warning("SOS journal: kept %s until the database is back", final.name)
        return final

    def entries(self) -> list[JournalEntry]:
        """The reports waiting, oldest first (a file that cannot be read is set aside, never deleted)."""
        if not self.directory.is_dir():
            return []
        entries = []
        for path in sorted(self.directory.glob(f"*{_SUFFIX}")):
            try:
                entries.append(_decode(path, json.loads(path.read_text(encoding="utf-8"))))
            except FileNotFoundError:
                continue  # replayed by another process meanwhile
            except (ValueError, KeyError, TypeError) as exc:
                logger.error("SOS journal: %s is unreadable (%s); set aside as .unreadable", path.name, exc)
                path.rename(path.with_suffix(".unreadable"))
        return entries

    @staticmethod
    def remove(entry: JournalEntry) -> None:
        entry.path.unlink(missing_ok=True)


Replay = Callable[[IncomingMessage, Understanding], Awaitable[object]]


class JournalReplayer:
    """Replays the journal into the database whenever there is something in it."""

    def __init__(self, journal: SosJournal, replay: Replay, *, interval_s: float) -> None:
        self._journal = journal
        self._replay = replay
        self._interval_s = interval_s
        self._failing: set[Path] = set()

    async def replay_pending(self) -> int:
        """Replay what is waiting; how many reports reached the database (stops at an outage)."""
        done = 0
        for entry in self._journal.entries():
            try:
                await self._replay(entry.message, entry.understanding)
            except Exception as exc:
                if database_unavailable(exc):
                    logger.info("SOS journal: the database is still down (%s)", exc)
                    return done
                if entry.path not in self._failing:
                    self._failing.add(entry.path)
                    logger.exception(
                        "SOS journal: %s could not be replayed; kept and retried", entry.path.name
                    )
                continue
            self._journal.remove(entry)
            self._failing.discard(entry.path)
            done += 1
            logger.warning("SOS journal: %s replayed into the database", entry.path.name)
        return done

    async def run(self) -> None:
        while True:
            try:
                await self.replay_pending()
            except Exception:
                logger.exception("SOS journal: replay round failed")
            await asyncio.sleep(self._interval_s)


@asynccontextmanager
async def replaying(
    journal: SosJournal, replay: Replay, *, interval_s: float
) -> AsyncIterator[JournalReplayer]:
    """Run a replayer in the background for the duration of the block."""
    replayer = JournalReplayer(journal, replay, interval_s=interval_s)
    task = asyncio.get_running_loop().create_task(replayer.run(), name="sos-journal:replay")
    try:
        yield replayer
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
