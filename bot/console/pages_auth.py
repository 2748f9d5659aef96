"""Signing in and out of the console, and its language."""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Form, Request
from starlette.responses import RedirectResponse, Response

from actions.audit import record_audit
from actions.console import SignInResult, close_session, open_session, sign_in
from actions.console.accounts import CONSOLE_LANGUAGES, MAX_PASSWORD_LENGTH
from actions.db.base import utcnow
from actions.db.models import ConsoleUser
from bot.console.auth import (
    COOKIE_PATH,
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    Signed,
    secure_cookies,
    sessions_of,
    tokens_match,
)
from bot.console.routing import console_router
from bot.console.templating import render

logger = logging.getLogger(__name__)

router = console_router()

LANGUAGE_COOKIE = "console_lang"


def _safe_next(target: str | None) -> str:
    # Only our own pages: never an absolute URL (an open redirect) or a scheme-relative one.
    if target and target.startswith("/console") and not target.startswith("//"):
        return target
    return "/console"


def _login_page(request: Request, language: str, *, error: str | None, status_code: int = 200) -> Response:
    token = secrets.token_urlsafe(32)
    response = render(
        request,
        "login.html",
        language,
        {"csrf": token, "next": _safe_next(request.query_params.get("next")), "error": error},
        status_code=status_code,
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=secure_cookies(request),
        path=COOKIE_PATH,
        max_age=3600,
    )
    return response


def _cookie_language(request: Request) -> str:
    value = request.cookies.get(LANGUAGE_COOKIE, "th")
    return value if value in CONSOLE_LANGUAGES else "th"


@router.get("/login")
async def login_form(request: Request, lang: str | None = None) -> Response:
    language = lang if lang in CONSOLE_LANGUAGES else _cookie_language(request)
    response = _login_page(request, language, error=None)
    response.set_cookie(LANGUAGE_COOKIE, language, samesite="lax", path=COOKIE_PATH, max_age=365 * 86400)
    return response


@router.post("/login")
async def login(
    request: Request,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=MAX_PASSWORD_LENGTH)],
    csrf_token: Annotated[str, Form(max_length=128)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/console",
) -> Response:
    """Sign in: a wrong password or unknown name gets the same answer; the lock-out is per username."""
    language = _cookie_language(request)
    if not tokens_match(request.cookies.get(LOGIN_CSRF_COOKIE, ""), csrf_token):
        return _login_page(request, language, error="error.csrf", status_code=403)
    settings = request.app.state.settings
    now = utcnow()
    async with sessions_of(request)() as session:
        outcome = await sign_in(
            session,
            username,
            password,
            now=now,
            max_attempts=settings.console_lockout_attempts,
            lockout=timedelta(minutes=settings.console_lockout_minutes),
        )
        user = outcome.user
        if outcome.result is not SignInResult.OK or user is None:
            if user is not None:
                action = "console.lockout" if outcome.just_locked else "console.login_failed"
                await record_audit(
                    session,
                    actor=f"console:{request.client.host if request.client else '?'}",
                    action=action,
                    target=f"user:{user.username}",
                    details={"locked_until": user.locked_until.isoformat() if user.locked_until else None},
                    now=now,
                )
            await session.commit()
            error = "login.locked" if outcome.result is SignInResult.LOCKED else "login.refused"
            return _login_page(request, language, error=error, status_code=401)
        opened = await open_session(
            session, user, now=now, lifetime=timedelta(hours=settings.console_session_hours)
        )
        await record_audit(
            session,
            actor=f"agency:{user.agency}/user:{user.username}",
            action="console.login",
            target=f"user:{user.username}",
            now=now,
        )
        await session.commit()
        language = user.language
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        opened.token,
        httponly=True,
        samesite="lax",
        secure=secure_cookies(request),
        path=COOKIE_PATH,
        max_age=int(settings.console_session_hours * 3600),
    )
    response.set_cookie(LANGUAGE_COOKIE, language, samesite="lax", path=COOKIE_PATH, max_age=365 * 86400)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path=COOKIE_PATH)
    return response


@router.post("/logout")
async def logout(request: Request, op: Signed) -> Response:
    async with sessions_of(request)() as session:
        await close_session(session, request.cookies.get(SESSION_COOKIE, ""))
        await record_audit(
            session, actor=op.actor, action="console.logout", target=f"user:{op.user.username}", now=utcnow()
        )
        await session.commit()
    response = RedirectResponse("/console/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path=COOKIE_PATH)
    return response


@router.post("/language")
async def set_language(
    request: Request, op: Signed, language: Annotated[str, Form(pattern="^(th|en)$")]
) -> Response:
    """The signed-in person's console language (kept with the account)."""
    async with sessions_of(request)() as session:
        user = await session.get(ConsoleUser, op.user.id)
        assert user is not None
        previous, user.language = user.language, language
        await record_audit(
            session,
            actor=op.actor,
            action="account.language",
            target=f"user:{user.username}",
            details={"from": previous, "to": language},
            now=utcnow(),
        )
        await session.commit()
    referer = urlsplit(request.headers.get("referer", ""))
    back = referer.path + (f"?{referer.query}" if referer.query else "")
    response = RedirectResponse(_safe_next(back), status_code=303)
    response.set_cookie(LANGUAGE_COOKIE, language, samesite="lax", path=COOKIE_PATH, max_age=365 * 86400)
    return response
