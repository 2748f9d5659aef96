"""A fake agency web server: feeds and CAP documents at paths, served as agencies serve them.

Each document gets an ETag and a Last-Modified; a request carrying either validator of the current
version is answered 304. A path can be made to fail (an HTTP error status), to hang (until the
client gives up), to send malformed XML or more bytes than a client should accept.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass
from email.utils import format_datetime

from aiohttp import web

from actions.db.base import utcnow
from tests.fakes.server import FakeServer


@dataclass
class Document:
    body: bytes
    content_type: str
    etag: str
    last_modified: str
    # Sent in chunks without a Content-Length, as a streaming server would.
    chunked: bool = False


class FakeFeedServer(FakeServer):
    def __init__(self) -> None:
        super().__init__()
        self.documents: dict[str, Document] = {}
        # Paths answered with this status (and Retry-After, if given) instead of their document.
        self.failing: dict[str, tuple[int, str | None]] = {}
        self.hanging: set[str] = set()
        # Set when the server stops: the requests it holds are answered then.
        self._released = asyncio.Event()
        self.app.router.add_get("/{path:.+}", self._get, name="get")

    def endpoint_of(self, request: web.Request) -> str:
        return request.path

    def publish(
        self, path: str, body: bytes, content_type: str = "application/xml", *, chunked: bool = False
    ) -> str:
        """Serve `body` at `path` (a new version: new validators); its URL."""
        self.documents[path] = Document(
            body,
            content_type,
            '"' + hashlib.sha256(body).hexdigest()[:16] + '"',
            format_datetime(utcnow(), usegmt=True),
            chunked,
        )
        return self.url + path

    def fail(self, path: str, status: int, retry_after: str | None = None) -> None:
        self.failing[path] = (status, retry_after)

    def hang(self, path: str) -> None:
        self.hanging.add(path)

    def heal(self, path: str) -> None:
        """`path` serves its document again."""
        self.failing.pop(path, None)
        self.hanging.discard(path)

    def requests_to(self, path: str) -> list[int | None]:
        """The statuses of the requests `path` got, in order (None: the client gave up first)."""
        return [request.status for request in self.calls(path)]

    async def stop(self) -> None:
        self._released.set()
        await super().stop()

    async def _get(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        if path in self.hanging:
            await self._released.wait()
            return web.Response(status=503, text="held until the server stopped")
        if path in self.failing:
            status, retry_after = self.failing[path]
            headers = {"Retry-After": retry_after} if retry_after else {}
            return web.Response(status=status, text="Service Unavailable", headers=headers)
        document = self.documents.get(path)
        if document is None:
            return web.Response(status=404, text="Not Found")
        validators = {"ETag": document.etag, "Last-Modified": document.last_modified}
        if request.headers.get("If-None-Match") == document.etag or (
            "If-None-Match" not in request.headers
            and request.headers.get("If-Modified-Since") == document.last_modified
        ):
            return web.Response(status=304, headers=validators)
        if not document.chunked:
            return web.Response(body=document.body, content_type=document.content_type, headers=validators)
        response = web.StreamResponse(headers={**validators, "Content-Type": document.content_type})
        response.enable_chunked_encoding()
        await response.prepare(request)
        for start in range(0, len(document.body), 8192):
            await response.write(document.body[start : start + 8192])
        await response.write_eof()
        return response
