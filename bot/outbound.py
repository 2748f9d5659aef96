"""Calls to the messaging platforms: bounded retries with backoff that honour Retry-After.

Each SDK raises its own errors; a channel gives :func:`call_with_retries` a function that says, for
one error, whether another attempt may help and how long the server asked us to wait.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TypeVar

logger = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How hard to try: attempts in all, exponential backoff between them, and a ceiling."""

    attempts: int = 4
    base_delay_s: float = 0.5
    max_delay_s: float = 30.0
    # A server asking for a longer pause than this is not waited for: the call fails instead.
    max_retry_after_s: float = 120.0

    def backoff(self, attempt: int) -> float:
        """The pause after failed attempt number `attempt` (1-based), with jitter."""
        ceiling = min(self.max_delay_s, self.base_delay_s * 2.0 ** (attempt - 1))
        # Jitter spreads the retries of many conversations hit by the same outage.
        return ceiling * random.uniform(0.5, 1.0)


@dataclass(frozen=True, slots=True)
class Verdict:
    """What an error means for the next attempt; `wait_s` is the server's Retry-After, if any."""

    retry: bool
    wait_s: float | None = None


Classifier = Callable[[Exception], Verdict]


async def call_with_retries(
    call: Callable[[], Awaitable[T]],
    *,
    classify: Classifier,
    policy: RetryPolicy,
    what: str,
) -> T:
    """Run `call` until it succeeds, the error is final, or the attempts are used up.

    Raises:
        Exception: the last error when it is not retryable or no attempt is left.
    """
    attempt = 1
    while True:
        try:
            return await call()
        except Exception as exc:
            verdict = classify(exc)
            if not verdict.retry or attempt >= policy.attempts:
                raise
            delay = verdict.wait_s if verdict.wait_s is not None else policy.backoff(attempt)
            if delay > policy.max_retry_after_s:
                logger.warning("%s: server asks to wait %.0f s; giving up", what, delay)
                raise
            logger.warning(
                "%s failed (%s); attempt %d of %d in %.1f s",
                what,
                exc.__class__.__name__,
                attempt + 1,
                policy.attempts,
                delay,
            )
            await asyncio.sleep(delay)
            attempt += 1


def retry_after_seconds(value: str | None) -> float | None:
    """A Retry-After header (seconds or an HTTP date) in seconds; None when absent or invalid."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
