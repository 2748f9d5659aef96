"""Fixtures shared with tests/bot: the dead NLU address and the fake LINE and Telegram APIs."""

from __future__ import annotations

from tests.bot.channels.conftest import line_api, telegram_api
from tests.bot.conftest import dead_nlu_url

__all__ = ["dead_nlu_url", "line_api", "telegram_api"]
