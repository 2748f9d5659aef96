"""Telegram broadcasts: one `sendMessage` per chat within TELEGRAM_BROADCAST_RATE messages per second.

The broadcast bot has no PTB rate limiter of its own: our limiter paces every send of the worker,
and a 429's `retry_after` pauses all of them (Telegram counts messages per bot, not per chat).
"""

from __future__ import annotations

import datetime as dt
import logging
import warnings

from telegram import Bot
from telegram.error import Forbidden, RetryAfter, TelegramError
from telegram.request import HTTPXRequest
from telegram.warnings import PTBDeprecationWarning

from bot.broadcast.attempt import MAX_THROTTLED, SENT, Attempt, failure
from bot.broadcast.ratelimit import RateLimiter
from bot.channels.telegram import telegram_verdict
from bot.settings import Settings

logger = logging.getLogger(__name__)

MAX_TEXT = 4096


def retry_after_s(exc: RetryAfter) -> float:
    with warnings.catch_warnings():
        # PTB 22 warns that `retry_after` will become a timedelta; both are handled here.
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


class TelegramBroadcaster:
    """Sends alert texts to chats; at most `concurrency` requests in flight."""

    def __init__(self, settings: Settings, *, concurrency: int) -> None:
        assert settings.telegram_bot_token is not None
        root = settings.telegram_api_base_url.rstrip("/")
        timeout = settings.outbound_timeout_s
        request = HTTPXRequest(
            connection_pool_size=concurrency,
            connect_timeout=timeout,
            read_timeout=timeout,
            write_timeout=timeout,
            pool_timeout=timeout,
        )
        self.bot = Bot(
            settings.telegram_bot_token.get_secret_value(),
            base_url=f"{root}/bot",
            base_file_url=f"{root}/file/bot",
            request=request,
        )
        self.limiter = RateLimiter(settings.telegram_broadcast_rate)

    async def start(self) -> None:
        """Connect and check the token (getMe); raises TelegramError when Telegram refuses."""
        await self.bot.initialize()

    async def aclose(self) -> None:
        await self.bot.shutdown()

    async def send(self, chat_id: str, text: str) -> Attempt:
        chat: int | str = int(chat_id) if chat_id.lstrip("-").isdigit() else chat_id
        for _ in range(MAX_THROTTLED):
            await self.limiter.acquire()
            try:
                await self.bot.send_message(chat_id=chat, text=text[:MAX_TEXT])
                return SENT
            except RetryAfter as exc:
                wait = retry_after_s(exc)
                logger.warning("Telegram flood control (429): every send pauses %.0f s", wait)
                self.limiter.pause(wait)
            except Forbidden as exc:
                # Blocked by the user, or the account was deleted: not worth another attempt.
                return Attempt(ok=False, error=f"Telegram 403: {exc.message}"[:500], unreachable=True)
            except TelegramError as exc:
                return failure(
                    f"Telegram {exc.__class__.__name__}: {exc.message}", retry=telegram_verdict(exc).retry
                )
        return failure("Telegram kept answering 429", retry=True)
