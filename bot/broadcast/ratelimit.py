"""A token bucket shared by every send of a channel, which a 429 pauses for everyone."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

# Bursts the bucket allows, in seconds of rate: enough to absorb the event loop's timer slack
# without outrunning a platform that counts requests per second.
BURST_S = 0.05


class RateLimiter:
    """At most `rate` acquisitions per second on average; callers are served in arrival order."""

    def __init__(self, rate: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self._capacity = max(1.0, rate * BURST_S)
        self._clock = clock
        self._tokens = 1.0
        self._updated = clock()
        self._paused_until = 0.0
        self._lock = asyncio.Lock()

    def pause(self, seconds: float) -> None:
        """The platform answered 429 "retry after `seconds`": nobody sends before then."""
        self._paused_until = max(self._paused_until, self._clock() + seconds)
        # Refilling starts when the pause ends.
        self._tokens = 0.0
        self._updated = self._paused_until

    async def acquire(self) -> None:
        async with self._lock:
            while True:
                now = self._clock()
                if now < self._paused_until:
                    await asyncio.sleep(self._paused_until - now)
                    continue
                self._tokens = min(self._capacity, self._tokens + (now - self._updated) * self.rate)
                self._updated = now
                if self._tokens >= 1.0:
                    self._tokens -= 1.0
                    return
                await asyncio.sleep((1.0 - self._tokens) / self.rate)
