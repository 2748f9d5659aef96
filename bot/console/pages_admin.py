"""Admins' pages: the agency's console accounts, and the audit log (who did what, when)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import Form, Request
from starlette.responses import Response

from actions.api_keys import Role
from actions.audit import audit_entries, record_audit
from actions.console import (
    AccountError,
    Permission,
    accounts_of,
    close_sessions_of,
    create_account,
    set_password,
)
from actions.console.accounts import CONSOLE_LANGUAGES, MAX_PASSWORD_LENGTH
from actions.db.base import utcnow
from actions.db.models import ConsoleUser
from bot.console.auth import Signed, sessions_of
from bot.console.routing import console_router, refusal
from bot.console.templating import render

logger = logging.getLogger(__name__)

router = console_router()

AUDIT_PAGE = 100
AUDIT_WINDOWS = {"1h": timedelta(hours=1), "24h": timedelta(hours=24), "7d": timedelta(days=7), "all": None}


async def _accounts_page(
    request: Request, op: Signed, *, status_code: int = 200, error: str = ""
) -> Response:
    async with sessions_of(request)() as session:
        users = await accounts_of(session, op.user.agency)
    context = {
        "op": op,
        "users": users,
        "roles": list(Role),
        "languages": CONSOLE_LANGUAGES,
        "error": error,
        "now": utcnow(),
    }
    return render(request, "accounts.html", op.language, context, status_code=status_code)


@router.get("/accounts")
async def accounts_page(request: Request, op: Signed) -> Response:
    op.require(Permission.MANAGE_ACCOUNTS)
    return await _accounts_page(request, op)


@router.post("/accounts")
async def add_account(
    request: Request,
    op: Signed,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=MAX_PASSWORD_LENGTH)],
    role: Annotated[Role, Form()],
    language: Annotated[str, Form(pattern="^(th|en)$")] = "th",
) -> Response:
    """A new account of the admin's own agency."""
    op.require(Permission.MANAGE_ACCOUNTS)
    now = utcnow()
    async with sessions_of(request)() as session:
        try:
            user = await create_account(
                session,
                username=username,
                password=password,
                agency=op.user.agency,
                role=role,
                created_by=op.actor,
                now=now,
                language=language,
            )
        except AccountError as exc:
            return await _accounts_page(request, op, status_code=400, error=str(exc))
        await record_audit(
            session,
            actor=op.actor,
            action="account.create",
            target=f"user:{user.username}",
            details={"agency": user.agency, "role": user.role},
            now=now,
        )
        await session.commit()
    return await _accounts_page(request, op)


@router.post("/accounts/{user_id}")
async def change_account(
    request: Request,
    op: Signed,
    user_id: int,
    role: Annotated[Role | None, Form()] = None,
    active: Annotated[str | None, Form(pattern="^(yes|no)$")] = None,
    password: Annotated[str, Form(max_length=MAX_PASSWORD_LENGTH)] = "",
    unlock: Annotated[str | None, Form()] = None,
) -> Response:
    """Change an account of the admin's agency: role, (de)activate, new password, lift a lock."""
    op.require(Permission.MANAGE_ACCOUNTS)
    now = utcnow()
    async with sessions_of(request)() as session:
        user = await session.get(ConsoleUser, user_id)
        if user is None or user.agency != op.user.agency:
            return refusal(request, 404, f"no account {user_id} in {op.user.agency}")
        if user.id == op.user.id and (active == "no" or (role is not None and role != Role.ADMIN)):
            return await _accounts_page(request, op, status_code=409, error="account.not_yourself")
        changes: dict[str, object] = {}
        try:
            if password:
                await set_password(session, user, password, now=now)
                changes["password"] = "reset"
        except AccountError as exc:
            return await _accounts_page(request, op, status_code=400, error=str(exc))
        if role is not None and role.value != user.role:
            changes["role"] = {"from": user.role, "to": role.value}
            user.role = role.value
            await close_sessions_of(session, user.id)
        if active is not None and (active == "yes") != user.active:
            user.active = active == "yes"
            changes["active"] = user.active
            await close_sessions_of(session, user.id)
        if unlock is not None and user.locked_until is not None:
            user.locked_until, user.failed_logins = None, 0
            changes["unlocked"] = True
        if changes:
            user.updated_at = now
            await record_audit(
                session,
                actor=op.actor,
                action="account.update",
                target=f"user:{user.username}",
                details=changes,
                now=now,
            )
            await session.commit()
    return await _accounts_page(request, op)


@router.get("/audit")
async def audit_page(
    request: Request,
    op: Signed,
    action: str = "",
    actor: str = "",
    window: str = "24h",
    offset: int = 0,
) -> Response:
    """The audit log, newest first, filtered by action, actor and time."""
    op.require(Permission.READ_AUDIT)
    span = AUDIT_WINDOWS.get(window, AUDIT_WINDOWS["24h"])
    since: datetime | None = utcnow() - span if span else None
    async with sessions_of(request)() as session:
        entries, total = await audit_entries(
            session,
            limit=AUDIT_PAGE,
            offset=max(0, offset),
            action=action.strip() or None,
            actor_contains=actor.strip() or None,
            since=since,
        )
    context = {
        "op": op,
        "entries": entries,
        "total": total,
        "action": action,
        "actor": actor,
        "window": window if window in AUDIT_WINDOWS else "24h",
        "windows": list(AUDIT_WINDOWS),
        "offset": max(0, offset),
        "page_size": AUDIT_PAGE,
    }
    return render(request, "audit.html", op.language, context)
