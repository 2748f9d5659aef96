"""LINE broadcasts: one multicast per batch of at most 500 users, with the batch's retry key.

The retry key (`X-Line-Retry-Key`) is the batch's `batch_key`, stored before the first attempt: LINE
accepts a key once and answers 409 to a repeat, so a batch sent again after a lost response or a
crashed worker reaches nobody twice.
"""

from __future__ import annotations

import logging

import aiohttp
from linebot.v3.messaging import MulticastRequest, TextMessage
from linebot.v3.messaging.exceptions import ApiException

from bot.broadcast.attempt import MAX_THROTTLED, SENT, Attempt, failure
from bot.broadcast.ratelimit import RateLimiter
from bot.channels.line import line_verdict, messaging_api
from bot.outbound import retry_after_seconds
from bot.settings import Settings

logger = logging.getLogger(__name__)

# LINE's limits: 500 recipients per multicast, 5,000 characters per text message.
MAX_RECIPIENTS = 500
MAX_TEXT = 5000
# Wait after a 429 that names no Retry-After (LINE usually names none).
DEFAULT_THROTTLE_WAIT_S = 1.0


class LineBroadcaster:
    """Sends multicasts, at most LINE_MULTICAST_RATE requests per second for this worker."""

    def __init__(self, settings: Settings) -> None:
        self._client, self._api = messaging_api(settings)
        self._timeout_s = settings.outbound_timeout_s
        self.limiter = RateLimiter(settings.line_multicast_rate)

    async def aclose(self) -> None:
        await self._client.close()

    async def multicast(self, user_ids: list[str], text: str, retry_key: str) -> Attempt:
        if not 1 <= len(user_ids) <= MAX_RECIPIENTS:
            raise ValueError(f"a multicast goes to 1 to {MAX_RECIPIENTS} users, not {len(user_ids)}")
        request = MulticastRequest(to=user_ids, messages=[TextMessage(text=text[:MAX_TEXT])])
        for _ in range(MAX_THROTTLED):
            await self.limiter.acquire()
            try:
                await self._api.multicast(
                    request, x_line_retry_key=retry_key, _request_timeout=self._timeout_s
                )
                return SENT
            except ApiException as exc:
                if exc.status == 409:
                    # This key was accepted before (a response lost, a worker killed): delivered.
                    logger.info("LINE multicast %s was already accepted", retry_key)
                    return SENT
                if exc.status == 429:
                    wait = retry_after_seconds((exc.headers or {}).get("Retry-After"))
                    logger.warning("LINE multicast throttled (429); pausing %.1f s", wait or 1.0)
                    self.limiter.pause(wait if wait is not None else DEFAULT_THROTTLE_WAIT_S)
                    continue
                verdict = line_verdict(exc)
                return failure(f"LINE {exc.status}: {exc.body}", retry=verdict.retry, wait_s=verdict.wait_s)
            except (aiohttp.ClientError, TimeoutError) as exc:
                return failure(f"LINE unreachable: {exc.__class__.__name__} {exc}", retry=True)
        return failure("LINE kept answering 429", retry=True)
