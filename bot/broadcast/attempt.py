"""What one send to a platform came to, as the worker needs to know it."""

from __future__ import annotations

from dataclasses import dataclass

# A send throttled (429) more often than this in a row gives up for now and is rescheduled.
MAX_THROTTLED = 5


@dataclass(frozen=True, slots=True)
class Attempt:
    """`ok`, or an `error` with whether another attempt may help and how long the platform asked
    us to wait; `unreachable` when the user blocked the bot."""

    ok: bool
    error: str | None = None
    retry: bool = False
    wait_s: float | None = None
    unreachable: bool = False


SENT = Attempt(ok=True)


def failure(error: str, *, retry: bool, wait_s: float | None = None) -> Attempt:
    return Attempt(ok=False, error=error[:500], retry=retry, wait_s=wait_s)
