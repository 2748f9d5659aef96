"""Administration for an agency's admins: the audit log, and the agency's own API keys."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from actions.api_keys import create_key, find_key, list_keys, revoke
from actions.audit import audit_entries, record_audit
from actions.db.base import utcnow
from bot.api.auth import Admin, Role
from bot.api.common import DbSession, Limit, Offset, Page, not_found

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/api/v1", tags=["administration"])


class AuditEntry(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    actor: str
    action: str
    target: str
    details: dict[str, Any]
    created_at: datetime


class AuditList(Page):
    items: list[AuditEntry]


class KeyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    prefix: str = Field(description="Names the key; not secret.")
    agency: str
    role: Role
    created_by: str
    created_at: datetime
    revoked_at: datetime | None


class NewKeyOut(KeyOut):
    key: str = Field(description="The key itself: shown this once, stored only as a hash.")


class KeyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Role


@router.get("/audit", response_model=AuditList)
async def list_audit(
    session: DbSession,
    _: Admin,
    action: Annotated[str | None, Query(description="e.g. incident.status, place.import")] = None,
    actor: Annotated[str | None, Query(description="e.g. agency:tourist-police/key:3")] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> AuditList:
    """Every write made through the API or the CLI, newest first."""
    rows, total = await audit_entries(session, limit=limit, offset=offset, action=action, actor=actor)
    items = [AuditEntry.model_validate(row) for row in rows]
    return AuditList(total=total, limit=limit, offset=offset, items=items)


@router.get("/keys", response_model=list[KeyOut])
async def list_agency_keys(session: DbSession, principal: Admin) -> list[KeyOut]:
    """The keys of the caller's agency (never the keys themselves)."""
    return [KeyOut.model_validate(key) for key in await list_keys(session, agency=principal.agency)]


@router.post("/keys", response_model=NewKeyOut, status_code=201)
async def add_agency_key(session: DbSession, principal: Admin, body: KeyIn) -> NewKeyOut:
    """A new key for the caller's agency; the response holds the key, which is never shown again."""
    now = utcnow()
    new = await create_key(
        session, agency=principal.agency, role=body.role, created_by=principal.actor, now=now
    )
    await record_audit(
        session,
        actor=principal.actor,
        action="key.create",
        target=new.key.prefix,
        details={"key_id": new.key.id, "agency": principal.agency, "role": body.role.value},
        now=now,
    )
    await session.commit()
    return NewKeyOut(**KeyOut.model_validate(new.key).model_dump(), key=new.secret)


@router.delete("/keys/{key}", response_model=KeyOut)
async def revoke_agency_key(session: DbSession, principal: Admin, key: str) -> KeyOut:
    """Revoke a key of the caller's agency, by number or prefix; it gets 401 from now on."""
    found = await find_key(session, key)
    # Another agency's key is "not found" too: an admin learns nothing about other agencies.
    if found is None or found.agency != principal.agency:
        raise not_found(f"no key {key!r} in agency {principal.agency!r}")
    now = utcnow()
    if revoke(found, now):
        await record_audit(
            session,
            actor=principal.actor,
            action="key.revoke",
            target=found.prefix,
            details={"key_id": found.id, "agency": found.agency},
            now=now,
        )
        await session.commit()
    return KeyOut.model_validate(found)
