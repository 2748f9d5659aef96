"""Console accounts: argon2id password hashes, sign-in with a persisted lock-out, server-side sessions.

A session is a random token in an HttpOnly cookie; only its SHA-256 is stored, with the session's
CSRF token and its expiry. Hashing and verifying (tens of milliseconds of CPU each) run in a
thread so that a sign-in never stalls the event loop that answers SOS messages.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from actions.api_keys import Role
from actions.db.models import ConsoleSession, ConsoleUser

logger = logging.getLogger(__name__)

USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024
CONSOLE_LANGUAGES = ("th", "en")

_hasher = PasswordHasher()


class AccountError(ValueError):
    """The account cannot be created or changed this way (the message says why)."""


class SignInResult(StrEnum):
    OK = "ok"
    # Wrong username or password: the same answer for both, so usernames cannot be guessed.
    REFUSED = "refused"
    LOCKED = "locked"


@dataclass(frozen=True, slots=True)
class SignIn:
    result: SignInResult
    user: ConsoleUser | None = None
    locked_until: datetime | None = None
    # True when this very attempt locked the account (audited as a lock-out).
    just_locked: bool = False


@dataclass(frozen=True, slots=True)
class OpenedSession:
    """A session just opened: `token` goes in the cookie and exists nowhere else."""

    token: str
    record: ConsoleSession


def normalize_username(username: str) -> str:
    return username.strip().lower()


def check_username(username: str) -> str:
    name = normalize_username(username)
    if not USERNAME_PATTERN.match(name):
        raise AccountError("a username is 2-64 characters: letters a-z, digits, '.', '_' or '-'")
    return name


def check_password(password: str) -> str:
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise AccountError(f"a password has at least {MIN_PASSWORD_LENGTH} characters")
    return password


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(_hasher.hash, password)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@lru_cache(maxsize=1)
def _unknown_user_hash() -> str:
    # Verified against when the username is unknown: the answer takes as long as for a real one.
    return _hasher.hash(secrets.token_urlsafe(16))


async def create_account(
    session: AsyncSession,
    *,
    username: str,
    password: str,
    agency: str,
    role: Role,
    created_by: str,
    now: datetime,
    language: str = "th",
) -> ConsoleUser:
    """Add an account (flushed, not committed).

    Raises:
        AccountError: a bad username, a short password, an unknown language, or a taken username.
    """
    name = check_username(username)
    check_password(password)
    agency = agency.strip()
    if not agency or len(agency) > 128:
        raise AccountError("give the agency's name (1-128 characters)")
    if language not in CONSOLE_LANGUAGES:
        raise AccountError(f"the console speaks {' and '.join(CONSOLE_LANGUAGES)}")
    user = ConsoleUser(
        username=name,
        agency=agency,
        role=role.value,
        password_hash=await hash_password(password),
        language=language,
        active=True,
        failed_logins=0,
        created_by=created_by,
        created_at=now,
        updated_at=now,
    )
    try:
        async with session.begin_nested():
            session.add(user)
            await session.flush()
    except IntegrityError as exc:
        raise AccountError(f"the username {name!r} is taken") from exc
    return user


async def account_by_username(session: AsyncSession, username: str) -> ConsoleUser | None:
    return await session.scalar(
        select(ConsoleUser).where(ConsoleUser.username == normalize_username(username))
    )


async def sign_in(
    session: AsyncSession,
    username: str,
    password: str,
    *,
    now: datetime,
    max_attempts: int,
    lockout: timedelta,
) -> SignIn:
    """Check a username and password; count failures per username and lock at `max_attempts`.

    The counters are changed in the caller's transaction: commit whatever the result.
    A locked account is refused without looking at the password, until the lock expires.
    """
    user = await account_by_username(session, username)
    if user is None:
        await asyncio.to_thread(_verify, _unknown_user_hash(), password)
        return SignIn(SignInResult.REFUSED)
    if user.locked_until is not None and user.locked_until > now:
        return SignIn(SignInResult.LOCKED, user, user.locked_until)
    if not await asyncio.to_thread(_verify, user.password_hash, password) or not user.active:
        user.failed_logins += 1
        if user.failed_logins >= max_attempts:
            user.failed_logins = 0
            user.locked_until = now + lockout
            logger.warning("console account %s locked until %s", user.username, user.locked_until)
            return SignIn(SignInResult.LOCKED, user, user.locked_until, just_locked=True)
        return SignIn(SignInResult.REFUSED, user)
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = await hash_password(password)
    return SignIn(SignInResult.OK, user)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


async def open_session(
    session: AsyncSession, user: ConsoleUser, *, now: datetime, lifetime: timedelta
) -> OpenedSession:
    """A new session for `user` (flushed, not committed); expired sessions are swept meanwhile."""
    await session.execute(delete(ConsoleSession).where(ConsoleSession.expires_at <= now))
    token = secrets.token_urlsafe(32)
    record = ConsoleSession(
        token_hash=_token_hash(token),
        user_id=user.id,
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        last_seen_at=now,
        expires_at=now + lifetime,
    )
    session.add(record)
    await session.flush()
    return OpenedSession(token, record)


async def session_by_token(session: AsyncSession, token: str, *, now: datetime) -> ConsoleSession | None:
    """The live session of a cookie, with its account; None when unknown, expired or deactivated."""
    statement = (
        select(ConsoleSession)
        .where(ConsoleSession.token_hash == _token_hash(token))
        .options(joinedload(ConsoleSession.user))
    )
    record = await session.scalar(statement)
    if record is None or record.expires_at <= now or not record.user.active:
        return None
    return record


async def close_session(session: AsyncSession, token: str) -> None:
    await session.execute(delete(ConsoleSession).where(ConsoleSession.token_hash == _token_hash(token)))


async def close_sessions_of(session: AsyncSession, user_id: int) -> None:
    """Sign an account out everywhere (deactivated, new password, new role)."""
    await session.execute(delete(ConsoleSession).where(ConsoleSession.user_id == user_id))


async def accounts_of(session: AsyncSession, agency: str | None = None) -> list[ConsoleUser]:
    statement = select(ConsoleUser).order_by(ConsoleUser.agency, ConsoleUser.username)
    if agency is not None:
        statement = statement.where(ConsoleUser.agency == agency)
    return list(await session.scalars(statement))


async def set_password(session: AsyncSession, user: ConsoleUser, password: str, *, now: datetime) -> None:
    """A new password; the account's sessions end and any lock is lifted. Not committed.

    Raises:
        AccountError: the password is too short.
    """
    check_password(password)
    user.password_hash = await hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
    user.updated_at = now
    await close_sessions_of(session, user.id)
