"""Build the pieces the app and the CLI share: database, NLU client, dialogue."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from actions.db.migrate import upgrade_database
from actions.db.session import create_engine, create_session_factory
from actions.domain import Channel
from actions.i18n import default_translator
from actions.incidents import IncidentCap
from actions.notify import Notifier, ResponderTarget
from actions.places.gazetteer import default_gazetteer
from bot.demo_data import load_demo_places
from bot.dialogue.engine import Dialogue
from bot.dialogue.journal import SosJournal, replaying
from bot.nlu import NluClient
from bot.security.rate_limit import MessageRateLimiter
from bot.settings import Settings


@dataclass(slots=True)
class Runtime:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    nlu: NluClient
    dialogue: Dialogue
    notifier: Notifier


def responder_targets(settings: Settings) -> list[ResponderTarget]:
    targets = []
    if settings.responder_line_to:
        targets.append(ResponderTarget(Channel.LINE, settings.responder_line_to))
    if settings.responder_telegram_chat_id:
        targets.append(ResponderTarget(Channel.TELEGRAM, settings.responder_telegram_chat_id))
    return targets


@asynccontextmanager
async def open_runtime(settings: Settings) -> AsyncIterator[Runtime]:
    """Migrate the database, load the demo places if asked, connect the NLU, build the dialogue."""
    engine = create_engine(settings.database_url)
    try:
        await upgrade_database(engine)
        sessions = create_session_factory(engine)
        if settings.load_demo_places:
            await load_demo_places(sessions)
        token = settings.nlu_token.get_secret_value() if settings.nlu_token else None
        nlu = NluClient(settings.nlu_url, token=token, timeout_s=settings.nlu_timeout_s)
        notifier = Notifier(
            default_translator(),
            sessions,
            responders=responder_targets(settings),
            responder_webhook_url=settings.responder_webhook_url,
            responder_language=settings.responder_language,
        )
        journal = SosJournal(settings.sos_journal_dir)
        try:
            dialogue = Dialogue(
                sessions,
                nlu,
                default_translator(),
                default_gazetteer(),
                confidence_threshold=settings.nlu_confidence_threshold,
                language_confidence_threshold=settings.language_confidence_threshold,
                flow_timeout_minutes=settings.flow_timeout_minutes,
                notifier=notifier,
                limiter=MessageRateLimiter(
                    settings.rate_limit_user_per_minute, settings.rate_limit_address_per_minute
                ),
                incident_cap=IncidentCap(
                    settings.incidents_per_user_per_hour, settings.incidents_per_address_per_hour
                ),
                journal=journal,
            )
            # Every process replays the journal: reports kept during an outage (by this process or
            # by one that died since) reach the database as soon as it answers again.
            async with replaying(journal, dialogue.replay, interval_s=settings.sos_journal_replay_interval_s):
                yield Runtime(settings, engine, sessions, nlu, dialogue, notifier)
        finally:
            await notifier.drain()
            await nlu.aclose()
    finally:
        await engine.dispose()
