"""Request bodies above a size are refused with 413 before anything parses them.

An ASGI middleware: a declared `Content-Length` above the limit is answered at once (the body is
never read), and a streamed body is counted as it arrives and cut off at the limit, so a client
that lies about the length or sends none gains nothing. Limits are per route (a photo in the web
chat needs more room than a JSON call).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger(__name__)


class BodyTooLarge(HTTPException):
    """Raised from `receive` once a body passes its limit; FastAPI and Starlette answer it with 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body too large: at most {limit} bytes are accepted here")


class BodySizeLimit:
    """Refuse request bodies larger than `default` bytes, or than the limit of their path."""

    def __init__(self, app: ASGIApp, *, default: int, routes: Sequence[tuple[str, int]] = ()) -> None:
        self.app = app
        self.default = default
        # Exact paths: a limit never leaks to a route it was not meant for.
        self._routes = dict(routes)

    def limit_for(self, path: str) -> int:
        return self._routes.get(path, self.default)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            logger.warning(
                "%s %s: body of %d bytes refused (limit %d)", scope["method"], scope["path"], declared, limit
            )
            await _refuse(send, limit)
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    logger.warning(
                        "%s %s: streamed body over %d bytes cut off", scope["method"], scope["path"], limit
                    )
                    raise BodyTooLarge(limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            # Raised where no handler turned it into a response (e.g. a route reading the stream).
            if started:
                raise
            await _refuse(send, limit)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _refuse(send: Send, limit: int) -> None:
    body = json.dumps({"detail": BodyTooLarge(limit).detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
