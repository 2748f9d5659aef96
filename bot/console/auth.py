"""Who is using the console: the session cookie, the CSRF check of every write, role checks.

Routes take ``op: Signed`` (any signed-in account). A request without a live session is sent to
the sign-in page (htmx requests get 401 with ``HX-Redirect``); a write (anything but GET/HEAD)
without the session's CSRF token, in the ``X-CSRF-Token`` header or the ``csrf_token`` form
field, gets 403 before anything is read or changed.
"""

from __future__ import annotations

import hmac
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from actions.console import Permission, may, require, session_by_token
from actions.console.access import actor_of
from actions.db.base import utcnow
from actions.db.models import ConsoleUser

logger = logging.getLogger(__name__)

SESSION_COOKIE = "console_session"
LOGIN_CSRF_COOKIE = "console_login_csrf"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
COOKIE_PATH = "/console"


class NotSignedIn(Exception):
    """No live session: the browser must sign in (again)."""


class CsrfRefused(Exception):
    """A write without the session's CSRF token."""


@dataclass(frozen=True, slots=True)
class Operator:
    """The signed-in account of this request."""

    user: ConsoleUser
    csrf_token: str
    session_expires_at: datetime

    @property
    def language(self) -> str:
        return self.user.language

    @property
    def actor(self) -> str:
        return actor_of(self.user)

    def may(self, permission: str) -> bool:
        """For templates: ``op.may('work_incidents')`` shows or hides a button."""
        return may(self.user, Permission(permission))

    def require(self, permission: Permission) -> None:
        """Raises NotAllowed (answered 403) unless the account's role allows `permission`."""
        require(self.user, permission)


def sessions_of(request: Request) -> async_sessionmaker[AsyncSession]:
    sessions: async_sessionmaker[AsyncSession] = request.app.state.sessions
    return sessions


def secure_cookies(request: Request) -> bool:
    """Cookies are Secure when the browser came over HTTPS or the app is published at https://."""
    settings = request.app.state.settings
    public = settings.public_base_url or ""
    return request.url.scheme == "https" or public.startswith("https://")


async def _csrf_presented(request: Request) -> str:
    if header := request.headers.get(CSRF_HEADER):
        return header
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        return value if isinstance(value, str) else ""
    return ""


def tokens_match(expected: str, presented: str) -> bool:
    return bool(presented) and hmac.compare_digest(expected.encode(), presented.encode())


async def current_operator(request: Request) -> Operator:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise NotSignedIn
    async with sessions_of(request)() as session:
        record = await session_by_token(session, token, now=utcnow())
    if record is None:
        raise NotSignedIn
    if request.method not in SAFE_METHODS and not tokens_match(
        record.csrf_token, await _csrf_presented(request)
    ):
        logger.warning("console: %s %s without a valid CSRF token refused", request.method, request.url.path)
        raise CsrfRefused
    return Operator(record.user, record.csrf_token, record.expires_at)


Signed = Annotated[Operator, Depends(current_operator)]
