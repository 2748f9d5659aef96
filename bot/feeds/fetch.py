"""Fetching feeds and CAP documents over HTTP: conditional GETs, a deadline, a size limit.

Every request has one deadline for the whole answer (a server that trickles bytes is cut off) and
a body limit checked while reading (a server that sends too much is cut off too).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import httpx

from bot.outbound import retry_after_seconds

USER_AGENT = "PhuketSmartSafety-CAP-relay/0.1"
ACCEPT = (
    "application/cap+xml, application/atom+xml, application/rss+xml, application/xml;q=0.9, "
    "text/xml;q=0.9, */*;q=0.1"
)
# Statuses after which the same request will not succeed: the document is gone.
GONE = frozenset({404, 410})


@dataclass(frozen=True, slots=True)
class Fetched:
    """A 200 with its body, or a 304 (nothing changed since the validators we sent)."""

    status: int
    body: bytes
    etag: str | None
    last_modified: str | None

    @property
    def not_modified(self) -> bool:
        return self.status == 304


class FetchError(Exception):
    """No usable answer: network error, timeout, an HTTP error status, a body over the limit."""

    def __init__(self, message: str, *, gone: bool = False, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        # 404 or 410: asking again will not help.
        self.gone = gone
        self.retry_after_s = retry_after_s


class Fetcher:
    def __init__(self, *, timeout_s: float, max_bytes: int) -> None:
        self._timeout_s = timeout_s
        self._max_bytes = max_bytes
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout_s),
            follow_redirects=True,
            max_redirects=5,
            headers={"User-Agent": USER_AGENT, "Accept": ACCEPT},
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    async def fetch(self, url: str, *, etag: str | None = None, last_modified: str | None = None) -> Fetched:
        """GET `url`, conditional on the validators of the last complete fetch.

        Raises:
            FetchError: naming what went wrong.
        """
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        try:
            async with asyncio.timeout(self._timeout_s):
                return await self._get(url, headers)
        except TimeoutError as exc:
            raise FetchError(f"no complete answer from {url} within {self._timeout_s:g} s") from exc
        except httpx.HTTPError as exc:
            raise FetchError(f"{url}: {exc.__class__.__name__}: {exc}"[:500]) from exc

    async def _get(self, url: str, headers: dict[str, str]) -> Fetched:
        async with self._client.stream("GET", url, headers=headers) as response:
            if response.status_code == 304:
                return Fetched(
                    304,
                    b"",
                    response.headers.get("etag") or headers.get("If-None-Match"),
                    response.headers.get("last-modified") or headers.get("If-Modified-Since"),
                )
            if not response.is_success:
                raise FetchError(
                    f"{url} answered HTTP {response.status_code}",
                    gone=response.status_code in GONE,
                    retry_after_s=retry_after_seconds(response.headers.get("retry-after")),
                )
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > self._max_bytes:
                raise FetchError(
                    f"{url} sends {declared} bytes: more than the limit of {self._max_bytes} bytes"
                )
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > self._max_bytes:
                    raise FetchError(f"{url} sends more than the limit of {self._max_bytes} bytes; cut off")
            return Fetched(
                response.status_code,
                bytes(body),
                response.headers.get("etag"),
                response.headers.get("last-modified"),
            )
