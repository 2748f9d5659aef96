"""A small recording HTTP server (aiohttp) on 127.0.0.1 for the fake platform APIs."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections import defaultdict, deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

# The parsed body of a request, for the route handlers.
DATA = web.RequestKey("data", object)


@dataclass
class Recorded:
    """One request as the fake received it; `data` is the JSON body or the form fields."""

    endpoint: str
    method: str
    path: str
    headers: dict[str, str]
    data: Any
    # The status the fake answered with.
    status: int | None = None
    # When it arrived (time.monotonic()).
    at: float = field(default_factory=time.monotonic)


class RateLimit:
    """A platform's limit of `rate` requests per second (a token bucket allowing `burst_s` of bursts).

    A request over the limit is answered 429 by the fake; `retry_after_s` is when the next would pass.
    """

    def __init__(self, rate: float, *, burst_s: float = 0.2) -> None:
        self.rate = rate
        self.capacity = max(1.0, rate * burst_s)
        self._tokens = self.capacity
        self._updated = time.monotonic()
        self.refused = 0

    def allow(self) -> bool:
        now = time.monotonic()
        self._tokens = min(self.capacity, self._tokens + (now - self._updated) * self.rate)
        self._updated = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        self.refused += 1
        return False

    def retry_after_s(self) -> float:
        return max(0.0, (1.0 - self._tokens) / self.rate)


class Gate:
    """Holds requests at one point of a handler while closed (to kill a client with requests in flight)."""

    def __init__(self) -> None:
        self._open = asyncio.Event()
        self._open.set()
        self._passes_left: int | None = None
        self._waiting: list[web.Request] = []
        self.held = 0

    def close(self) -> None:
        self._open.clear()

    def close_after(self, passes: int) -> None:
        """Let `passes` more requests through, then close."""
        self._passes_left = passes

    def open(self) -> None:
        self._passes_left = None
        self._open.set()

    def clients_gone(self) -> bool:
        """Every client with a request held here has closed its connection."""
        return all(client_gone(request) for request in self._waiting)

    async def passing(self, request: web.Request) -> None:
        if self._passes_left is not None:
            if self._passes_left == 0:
                self.close()
            else:
                self._passes_left -= 1
        if not self._open.is_set():
            self.held += 1
            self._waiting.append(request)
            await self._open.wait()


def client_gone(request: web.Request) -> bool:
    """The client closed the connection (it was killed) while the request was held."""
    return request.transport is None or request.transport.is_closing()


@dataclass(frozen=True)
class Canned:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


class FakeServer:
    """Routes are added by subclasses; every request is recorded, and canned failures come first."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self._canned: dict[str, deque[Canned]] = defaultdict(deque)
        self.app = web.Application(middlewares=[self._middleware])
        self._runner: web.AppRunner | None = None
        self.url = ""

    # What the tests use ------------------------------------------------------------------

    def fail_next(
        self,
        endpoint: str,
        status: int,
        body: Any,
        *,
        headers: dict[str, str] | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next `times` calls of `endpoint` with this error instead of success."""
        for _ in range(times):
            self._canned[endpoint].append(Canned(status, body, headers or {}))

    def calls(self, endpoint: str) -> list[Recorded]:
        return [request for request in self.requests if request.endpoint == endpoint]

    # Serving ---------------------------------------------------------------------------

    def endpoint_of(self, request: web.Request) -> str:
        return str(request.match_info.route.name or request.path)

    def refuse(self, request: web.Request) -> web.StreamResponse | None:
        """An error answer for a request the real API would refuse outright (bad credentials)."""
        return None

    def decode(self, data: Any) -> Any:
        """The request data as recorded and as the route handlers see it."""
        return data

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        endpoint = self.endpoint_of(request)
        data: Any
        if request.content_type in {"application/x-www-form-urlencoded", "multipart/form-data"}:
            # Read as a form first: a multipart body can be read only once.
            data = {key: str(value) for key, value in (await request.post()).items()}
        else:
            raw = await request.read()
            data = dict(request.query)
            if raw:
                try:
                    data = json.loads(raw)
                except ValueError:
                    data = raw
        data = self.decode(data)
        recorded = Recorded(endpoint, request.method, request.path, dict(request.headers), data)
        self.requests.append(recorded)
        queue = self._canned.get(endpoint)
        response: web.StreamResponse
        refused = self.refuse(request)
        if refused is not None:
            response = refused
        elif queue:
            canned = queue.popleft()
            response = web.json_response(canned.body, status=canned.status, headers=canned.headers)
        else:
            request[DATA] = data
            response = await handler(request)
        recorded.status = response.status
        return response

    async def start(self) -> str:
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


@contextmanager
def serving_in_thread(server: FakeServer) -> Iterator[FakeServer]:
    """Run a fake in its own thread and loop, for code that calls `asyncio.run` (the CLI)."""
    loop = asyncio.new_event_loop()
    started = threading.Event()
    stop: asyncio.Event | None = None

    async def main() -> None:
        nonlocal stop
        stop = asyncio.Event()
        await server.start()
        started.set()
        await stop.wait()
        await server.stop()

    thread = threading.Thread(target=loop.run_until_complete, args=(main(),), daemon=True)
    thread.start()
    started.wait(timeout=10)
    try:
        yield server
    finally:
        assert stop is not None
        loop.call_soon_threadsafe(stop.set)
        thread.join(timeout=10)
        loop.close()
