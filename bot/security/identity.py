"""The web chat's identity: a server-issued id in a signed, HttpOnly, SameSite cookie.

The id is chosen by the server, never by the client: a request without a valid cookie starts a
new anonymous user. The signature (HMAC-SHA256 with WEB_SESSION_SECRET) makes a cookie that the
server did not issue worthless; the id itself is random, so one user's cookie says nothing about
another's.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from actions.server_secrets import stored_secret
from bot.settings import Settings

logger = logging.getLogger(__name__)

COOKIE_NAME = "safety_chat_id"
# Browsers keep a cookie at most 400 days; the cookie is renewed at every message.
COOKIE_MAX_AGE_S = 400 * 24 * 3600
IDENTITY_PREFIX = "web-"
_SECRET_NAME = "web_session_secret"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


class WebIdentities:
    """Issues and checks web identities; also turns client addresses into pseudonymous keys."""

    def __init__(self, secret: bytes) -> None:
        # Separate keys per use: a cookie signature never doubles as an address key.
        self._cookie_key = hmac.new(secret, b"cookie", hashlib.sha256).digest()
        self._address_key = hmac.new(secret, b"address", hashlib.sha256).digest()

    @classmethod
    async def from_settings(
        cls, settings: Settings, sessions: async_sessionmaker[AsyncSession]
    ) -> WebIdentities:
        if settings.web_session_secret is not None:
            return cls(settings.web_session_secret.get_secret_value().encode())
        logger.info("WEB_SESSION_SECRET not set: using the one stored in the database")
        return cls((await stored_secret(sessions, _SECRET_NAME)).encode())

    @staticmethod
    def new_identity() -> str:
        return IDENTITY_PREFIX + secrets.token_urlsafe(18)

    def _signature(self, identity: str) -> str:
        return _b64(hmac.new(self._cookie_key, identity.encode(), hashlib.sha256).digest())

    def cookie_value(self, identity: str) -> str:
        return f"{identity}.{self._signature(identity)}"

    def identity_of(self, cookie: str | None) -> str | None:
        """The identity a cookie carries; None when it is missing, malformed or not signed by us."""
        if not cookie or len(cookie) > 256:
            return None
        identity, _, signature = cookie.rpartition(".")
        if not identity.startswith(IDENTITY_PREFIX):
            return None
        if not hmac.compare_digest(signature.encode(), self._signature(identity).encode()):
            return None
        return identity

    def address_key(self, address: str) -> str:
        """A keyed hash of a client address: the same for the same address, and not reversible."""
        return hmac.new(self._address_key, address.encode(), hashlib.sha256).hexdigest()[:32]

    def scoped_message_id(self, identity: str, message_id: str) -> str:
        """A client's message id, made unique to its identity (one client cannot replay another's)."""
        return "w" + hashlib.sha256(f"{identity}\0{message_id}".encode()).hexdigest()[:40]
