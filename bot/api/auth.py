"""API-key authentication for the agency API: ``Authorization: Bearer <key>``, with roles.

Use as a dependency: ``principal: Principal = Depends(require(Role.OPERATOR))``. A missing, unknown or
revoked key gets 401; a key whose role is too low gets 403.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from actions.api_keys import Role, active_key

logger = logging.getLogger(__name__)

__all__ = ["Admin", "Operator", "Principal", "Role", "Viewer", "require"]

# auto_error=False: we answer 401 ourselves (FastAPI's own answer for a missing header varies).
_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="AgencyApiKey",
    description="An agency API key: `safety-bot agency add-key --agency NAME --role viewer|operator|admin`.",
)


@dataclass(frozen=True)
class Principal:
    """Who is calling: the key's number, its agency and its role."""

    key_id: int
    agency: str
    role: Role

    @property
    def actor(self) -> str:
        """How this caller appears in incident events and the audit log."""
        return f"agency:{self.agency}/key:{self.key_id}"


def _unauthorized(message: str) -> HTTPException:
    return HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED,
        detail=message,
        headers={"WWW-Authenticate": "Bearer"},
    )


def require(role: Role) -> Callable[..., Awaitable[Principal]]:
    """A FastAPI dependency admitting keys of `role` or a higher one."""

    async def authenticate(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> Principal:
        if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
            raise _unauthorized("an API key is required: Authorization: Bearer <key>")
        sessions: async_sessionmaker[AsyncSession] = request.app.state.sessions
        async with sessions() as session:
            key = await active_key(session, credentials.credentials)
        if key is None:
            logger.info(
                "agency API: unknown or revoked key refused (%s %s)", request.method, request.url.path
            )
            raise _unauthorized("unknown or revoked API key")
        principal = Principal(key_id=key.id, agency=key.agency, role=Role(key.role))
        if not principal.role.includes(role):
            raise HTTPException(
                status_code=status.HTTP_403_FORBIDDEN,
                detail=f"this needs the {role.value} role; the key has {principal.role.value}",
            )
        return principal

    return authenticate


# Ready-made parameter types: `principal: Operator` in a route's signature.
Viewer = Annotated[Principal, Depends(require(Role.VIEWER))]
Operator = Annotated[Principal, Depends(require(Role.OPERATOR))]
Admin = Annotated[Principal, Depends(require(Role.ADMIN))]
