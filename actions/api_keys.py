"""Keys of the agency API: created once, stored as a SHA-256, looked up by prefix, revoked.

A key reads ``psk_<prefix>_<secret>``: the prefix (8 hex digits) is not secret and names the key in
lists and the audit log; the secret is 256 random bits, so a plain SHA-256 is a safe hash for it.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from actions.db.models import ApiKey

logger = logging.getLogger(__name__)

KEY_SCHEME = "psk"


class Role(StrEnum):
    """What a key may do; each role includes the ones before it."""

    VIEWER = "viewer"
    OPERATOR = "operator"
    ADMIN = "admin"

    def includes(self, other: Role) -> bool:
        return _RANK[self] >= _RANK[other]


_RANK = {Role.VIEWER: 0, Role.OPERATOR: 1, Role.ADMIN: 2}


@dataclass(frozen=True, slots=True)
class NewKey:
    """A key just created: `secret` is the only copy of the full key, shown once."""

    key: ApiKey
    secret: str


def hash_key(presented: str) -> str:
    return hashlib.sha256(presented.encode("utf-8")).hexdigest()


def key_prefix(presented: str) -> str | None:
    """``psk_1a2b3c4d`` of ``psk_1a2b3c4d_<secret>``; None for anything not shaped like a key."""
    scheme, _, rest = presented.partition("_")
    prefix, _, secret = rest.partition("_")
    if scheme != KEY_SCHEME or len(prefix) != 8 or not secret:
        return None
    return f"{KEY_SCHEME}_{prefix}"


async def create_key(
    session: AsyncSession, *, agency: str, role: Role, created_by: str, now: datetime
) -> NewKey:
    """Add a key (flushed, not committed) and return it with its secret."""
    prefix = f"{KEY_SCHEME}_{secrets.token_hex(4)}"
    secret = f"{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey(
        prefix=prefix,
        key_hash=hash_key(secret),
        agency=agency,
        role=role.value,
        created_by=created_by,
        created_at=now,
    )
    session.add(key)
    await session.flush()
    return NewKey(key, secret)


async def active_key(session: AsyncSession, presented: str) -> ApiKey | None:
    """The unrevoked key whose secret is `presented`, else None."""
    prefix = key_prefix(presented)
    if prefix is None:
        return None
    key = await session.scalar(select(ApiKey).where(ApiKey.prefix == prefix))
    # Constant-time comparison: the time taken says nothing about how much of the secret was right.
    if key is None or not hmac.compare_digest(key.key_hash, hash_key(presented)):
        return None
    if key.revoked_at is not None:
        return None
    return key


async def find_key(session: AsyncSession, id_or_prefix: str) -> ApiKey | None:
    """A key by its number (``3``) or its prefix (``psk_1a2b3c4d``)."""
    conditions = [ApiKey.prefix == id_or_prefix.strip()]
    if id_or_prefix.strip().isdigit():
        conditions.append(ApiKey.id == int(id_or_prefix))
    return await session.scalar(select(ApiKey).where(or_(*conditions)))


async def list_keys(session: AsyncSession, *, agency: str | None = None) -> list[ApiKey]:
    statement = select(ApiKey).order_by(ApiKey.id)
    if agency is not None:
        statement = statement.where(ApiKey.agency == agency)
    return list(await session.scalars(statement))


def revoke(key: ApiKey, now: datetime) -> bool:
    """Revoke a key; False when it already was."""
    if key.revoked_at is not None:
        return False
    key.revoked_at = now
    return True
