"""Secrets the server makes for itself when none is configured, kept in the database.

Kept in the database (not in a process) so that a restart and every worker process, on every
host sharing the database, agree on the same secret.
"""

from __future__ import annotations

import logging
import secrets

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from actions.db.base import utcnow
from actions.db.models import ServerSecret

logger = logging.getLogger(__name__)


async def stored_secret(sessions: async_sessionmaker[AsyncSession], name: str) -> str:
    """The secret called `name`, generated and stored the first time any process asks for it."""
    async with sessions() as session:
        existing = await session.get(ServerSecret, name)
        if existing is not None:
            return existing.value
        session.add(ServerSecret(name=name, value=secrets.token_urlsafe(32), created_at=utcnow()))
        try:
            await session.commit()
            logger.warning("generated the secret %r and stored it in the database (none configured)", name)
        except IntegrityError:
            # Another process generated it at the same moment: theirs is the one.
            await session.rollback()
        stored = await session.get(ServerSecret, name, populate_existing=True)
        assert stored is not None
        return stored.value
