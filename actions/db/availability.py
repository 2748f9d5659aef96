"""Telling a database outage (worth a 503 and a retry) from a bug (a 500)."""

from __future__ import annotations

import asyncpg
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

# Raised by the driver while it connects (before SQLAlchemy can wrap anything), or when the
# server shuts down (`OperatorInterventionError`: "terminating connection due to administrator command").
_CONNECT_ERRORS = (
    OSError,
    TimeoutError,
    asyncpg.exceptions.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.exceptions.InterfaceError,
)


def database_unavailable(exc: BaseException) -> bool:
    """Whether `exc` says the database cannot be reached or is going away (not that a query is wrong)."""
    if isinstance(exc, OperationalError | InterfaceError | PoolTimeout):
        return True
    if isinstance(exc, DBAPIError):
        return bool(exc.connection_invalidated) or isinstance(exc.orig, _CONNECT_ERRORS)
    return isinstance(exc, _CONNECT_ERRORS)
