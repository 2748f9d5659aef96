"""What the LINE and Telegram channels share: ordered background sending and reachability."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from actions.db.models import User
from actions.i18n import Translator
from actions.users import get_or_create_user
from bot.dialogue.engine import Dialogue
from bot.settings import Settings

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ChannelServices:
    """What a messaging channel works with."""

    settings: Settings
    dialogue: Dialogue
    sessions: async_sessionmaker[AsyncSession]
    translator: Translator
    tasks: BackgroundTasks


class BackgroundTasks:
    """Replies sent after the webhook has been answered, in order for each conversation.

    A platform outage must never hold up the webhook response (the platform would time out and
    redeliver), so sending happens here; tasks with the same key run one after another so that a
    user's answers never overtake each other.
    """

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[None]] = set()
        self._last: dict[str, asyncio.Task[None]] = {}

    def spawn(self, key: str, work: Coroutine[Any, Any, None], *, name: str) -> None:
        previous = self._last.get(key)
        task = asyncio.get_running_loop().create_task(self._run(key, previous, work, name), name=name)
        self._last[key] = task
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(
        self, key: str, previous: asyncio.Task[None] | None, work: Coroutine[Any, Any, None], name: str
    ) -> None:
        try:
            if previous is not None:
                await asyncio.wait([previous])
            await work
        except asyncio.CancelledError:
            work.close()
            raise
        except Exception:
            # Already retried by the sender: what is left is logged for the operators.
            logger.exception("%s failed", name)
        finally:
            if self._last.get(key) is asyncio.current_task():
                del self._last[key]

    async def join(self) -> None:
        """Wait until everything spawned so far (and spawned meanwhile) has finished."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def aclose(self, timeout_s: float) -> None:
        """At shutdown: give sends in flight `timeout_s` to finish, then cancel the rest."""
        if not self._tasks:
            return
        _, pending = await asyncio.wait(list(self._tasks), timeout=timeout_s)
        for task in pending:
            logger.warning("shutdown: cancelling %s", task.get_name())
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)


async def set_reachable(
    sessions: async_sessionmaker[AsyncSession], channel: str, channel_user_id: str, reachable: bool
) -> None:
    """Record that a user (un)followed or (un)blocked the bot; no delivery reaches an unreachable user."""
    async with sessions() as session:
        if reachable:
            user = await get_or_create_user(session, channel, channel_user_id)
            user.reachable = True
        else:
            await session.execute(
                update(User)
                .where(User.channel == channel, User.channel_user_id == channel_user_id)
                .values(reachable=False)
            )
        await session.commit()
    logger.info("%s user %s is %s", channel, channel_user_id, "reachable" if reachable else "unreachable")


async def is_reachable(sessions: async_sessionmaker[AsyncSession], channel: str, to: str) -> bool:
    """False only for a known user who unfollowed or blocked us (groups and strangers: True)."""
    async with sessions() as session:
        reachable = await session.scalar(
            select(User.reachable).where(User.channel == channel, User.channel_user_id == to)
        )
    return reachable is not False
