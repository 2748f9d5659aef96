"""The messaging channels the settings switch on (LINE, Telegram), started and stopped with the app."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from actions.domain import Channel
from actions.i18n import default_translator
from bot.channels.delivery import BackgroundTasks, ChannelServices
from bot.channels.line import LineChannel, set_line_webhook
from bot.channels.telegram import TelegramChannel, set_telegram_webhook
from bot.runtime import Runtime
from bot.settings import Settings

logger = logging.getLogger(__name__)

# At shutdown, answers still being sent get this long to finish.
SHUTDOWN_GRACE_S = 10.0


@dataclass(slots=True)
class Messengers:
    line: LineChannel | None = None
    telegram: TelegramChannel | None = None
    tasks: BackgroundTasks = field(default_factory=BackgroundTasks)

    def names(self) -> list[str]:
        """The channels that are on, for /readyz."""
        names = [Channel.WEB.value]
        if self.line is not None:
            names.append(Channel.LINE.value)
        if self.telegram is not None:
            names.append(Channel.TELEGRAM.value)
        return names

    async def drain(self) -> None:
        """Wait until every answer in flight has been sent (or given up on)."""
        await self.tasks.join()


@asynccontextmanager
async def open_messengers(settings: Settings, runtime: Runtime) -> AsyncIterator[Messengers]:
    """Build the channels that have credentials and register them as the notifier's senders."""
    messengers = Messengers()
    services = ChannelServices(
        settings, runtime.dialogue, runtime.sessions, default_translator(), messengers.tasks
    )
    messengers.line = LineChannel.from_settings(services)
    messengers.telegram = TelegramChannel.from_settings(services)
    notifier = runtime.notifier
    if messengers.line is not None:
        notifier.register_sender(Channel.LINE, messengers.line)
    if messengers.telegram is not None:
        notifier.register_sender(Channel.TELEGRAM, messengers.telegram)
        messengers.telegram.start()
    try:
        yield messengers
    finally:
        if messengers.telegram is not None:
            await messengers.telegram.stop_receiving()
        # Answers and notifications in flight still need the platforms' clients.
        await messengers.tasks.aclose(SHUTDOWN_GRACE_S)
        await notifier.drain()
        if messengers.telegram is not None:
            await messengers.telegram.aclose()
        if messengers.line is not None:
            await messengers.line.aclose()


async def set_webhook(settings: Settings, channel: str, url: str) -> None:
    """Register the webhook URL of `channel` with its platform.

    Raises:
        ValueError: the channel is unknown or its credentials are not set.
    """
    if channel == Channel.LINE:
        if not (settings.line_channel_secret and settings.line_channel_access_token):
            raise ValueError("LINE_CHANNEL_SECRET and LINE_CHANNEL_ACCESS_TOKEN must be set")
        await set_line_webhook(settings, url)
    elif channel == Channel.TELEGRAM:
        if settings.telegram_bot_token is None:
            raise ValueError("TELEGRAM_BOT_TOKEN must be set")
        await set_telegram_webhook(settings, url)
    else:
        raise ValueError(f"unknown channel {channel!r}")
