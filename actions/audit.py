"""The audit log: every write of the agency API (and of its CLI) with who, what and when."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from actions.db.models import AuditLog

logger = logging.getLogger(__name__)


async def record_audit(
    session: AsyncSession,
    *,
    actor: str,
    action: str,
    target: str,
    details: dict[str, Any] | None = None,
    now: datetime,
) -> None:
    """Add an audit row in the caller's transaction: it is committed (or rolled back) with the write.

    Args:
        actor: Who did it, e.g. ``Principal.actor`` (``agency:tourist-police/key:3``) or ``cli:root``.
        action: What was done, dotted, e.g. ``incident.status``, ``place.create``, ``alert.cancel``.
        target: What it was done to, e.g. an incident reference or a place id.
        details: JSON-serialisable specifics (new status, counts, ...).
        now: When (aware UTC).
    """
    session.add(AuditLog(actor=actor, action=action, target=target, details=details or {}, created_at=now))
    logger.info("audit: %s %s %s", actor, action, target)


async def audit_entries(
    session: AsyncSession,
    *,
    limit: int,
    offset: int = 0,
    action: str | None = None,
    actor: str | None = None,
    actor_contains: str | None = None,
    since: datetime | None = None,
) -> tuple[list[AuditLog], int]:
    """One page of audit rows, newest first, and the total; optionally of one action, one actor
    (or actors whose name contains a text, such as a username), at or after `since`."""
    conditions = []
    if action:
        conditions.append(AuditLog.action == action)
    if actor:
        conditions.append(AuditLog.actor == actor)
    if actor_contains:
        conditions.append(AuditLog.actor.contains(actor_contains, autoescape=True))
    if since is not None:
        conditions.append(AuditLog.created_at >= since)
    total = await session.scalar(select(func.count()).select_from(AuditLog).where(*conditions))
    statement = (
        select(AuditLog)
        .where(*conditions)
        .order_by(AuditLog.created_at.desc(), AuditLog.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(await session.scalars(statement)), int(total or 0)
