"""Rendering the console: Jinja2 templates, the console's own catalog (Thai, English), Phuket time."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_datetime, format_timedelta
from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import HTMLResponse

from actions.console.accounts import CONSOLE_LANGUAGES
from actions.i18n import LOCALES_DIR, Translator, default_translator, load_catalog

PHUKET_TIME = ZoneInfo("Asia/Bangkok")
TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
STATIC_DIR = Path(__file__).resolve().parent / "static"
CONSOLE_DOMAIN = "console"


@lru_cache(maxsize=1)
def console_translator() -> Translator:
    """The console's own texts (`console.po`), in Thai and English."""
    return Translator({lang: load_catalog(lang, LOCALES_DIR, CONSOLE_DOMAIN) for lang in CONSOLE_LANGUAGES})


def local_time(moment: datetime | None, language: str, pattern: str = "d MMM HH:mm") -> str:
    """A moment as Phuket reads it (ICT, UTC+7), in the console's language."""
    if moment is None:
        return ""
    return format_datetime(moment.astimezone(PHUKET_TIME), pattern, locale=language)


def age(moment: datetime, language: str, now: datetime | None = None) -> str:
    """How long ago, e.g. "3 minutes" / "3 นาที"."""
    delta = (now or datetime.now(UTC)) - moment
    return format_timedelta(delta, threshold=1.0, format="short", locale=language)


class Texts:
    """What a template calls: ``t('queue.title')`` (console texts) and ``m('type.fire')`` (the bot's)."""

    def __init__(self, language: str) -> None:
        self.language = language
        self._console = console_translator()
        self._messages = default_translator()

    def t(self, key: str, /, **values: Any) -> str:
        return self._console(self.language, key, **values)

    def m(self, key: str, /, **values: Any) -> str:
        return self._messages(self.language, key, **values)

    def time(self, moment: datetime | None, pattern: str = "d MMM HH:mm") -> str:
        return local_time(moment, self.language, pattern)

    def age(self, moment: datetime) -> str:
        return age(moment, self.language)


templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
templates.env.trim_blocks = True
templates.env.lstrip_blocks = True


def render(
    request: Request, name: str, language: str, context: dict[str, Any], *, status_code: int = 200
) -> HTMLResponse:
    texts = Texts(language)
    full = {"tx": texts, "t": texts.t, "m": texts.m, "lang": language, **context}
    return templates.TemplateResponse(request, name, full, status_code=status_code)
