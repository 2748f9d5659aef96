"""Message rates per user and per client address: token buckets held in this process's memory.

Per process: with several bot processes behind a load balancer, a client whose messages are spread
over N processes gets up to N times the rate (README "Security"). The per-hour cap on new incidents
does not have that weakness: it counts incidents in the database.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

# Buckets kept at most; the least recently used (long full again) go first.
MAX_BUCKETS = 100_000


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float


class TokenBuckets:
    """`per_minute` messages a minute for each key, in bursts of up to `per_minute`."""

    def __init__(
        self, per_minute: int, *, clock: Callable[[], float] = time.monotonic, max_keys: int = MAX_BUCKETS
    ) -> None:
        self.capacity = float(per_minute)
        self._rate = per_minute / 60.0
        self._clock = clock
        self._max_keys = max_keys
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def _refilled(self, key: str) -> _Bucket:
        now = self._clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = _Bucket(self.capacity, now)
            self._buckets[key] = bucket
            if len(self._buckets) > self._max_keys:
                self._buckets.popitem(last=False)
        else:
            bucket.tokens = min(self.capacity, bucket.tokens + (now - bucket.updated) * self._rate)
            bucket.updated = now
            self._buckets.move_to_end(key)
        return bucket

    def has_token(self, key: str) -> bool:
        return self._refilled(key).tokens >= 1.0

    def take(self, key: str) -> None:
        self._refilled(key).tokens -= 1.0


class MessageRateLimiter:
    """Whether a message is within the rate of its user and, on the web, of its address."""

    def __init__(
        self, user_per_minute: int, address_per_minute: int, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._users = TokenBuckets(user_per_minute, clock=clock)
        self._addresses = TokenBuckets(address_per_minute, clock=clock)

    def allow(self, user_key: str, address_key: str | None = None) -> bool:
        """Count the message and say whether it is within both rates (a refused one costs nothing)."""
        if not self._users.has_token(user_key):
            return False
        if address_key is not None:
            if not self._addresses.has_token(address_key):
                return False
            self._addresses.take(address_key)
        self._users.take(user_key)
        return True
