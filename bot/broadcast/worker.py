"""The delivery worker: claims due deliveries, sends them on LINE and Telegram, records the outcome.

It runs inside the app (DELIVERY_WORKER_ENABLED) or alone as `safety-bot worker`; several workers
share the work through the claims in :mod:`actions.broadcast.queue`. Each channel has its own loop,
so that Telegram's one-message-per-chat pace never holds up LINE's multicasts:

- LINE: one claimed batch (one alert, one language, at most 500 users) is one multicast with the
  batch's retry key; a few batches are in flight at once.
- Telegram: claimed rows wait in a local queue (refilled before it runs dry, so the pace never
  stalls on the database) for senders that share the rate limiter; outcomes are written in small
  groups every FLUSH_INTERVAL_S.

A failed send is tried again after an exponential backoff (or the platform's Retry-After) until
DELIVERY_MAX_ATTEMPTS, then it is `failed` with the reason. A user who blocked the bot is marked
unreachable and the delivery `skipped`.

Telegram offers no idempotency key: a message Telegram accepted in the last moments before a
worker was killed, whose outcome was not yet written, is sent again when its claim is taken over
(at least once, never lost). LINE batches are exactly once thanks to the retry key.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Collection
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from actions.broadcast import (
    Claim,
    ClaimScope,
    Outcome,
    Outgoing,
    claim_deliveries,
    claim_line_batch,
    extend_claims,
    has_due,
    mark_unreachable,
    record_outcomes,
    release,
)
from actions.db.base import utcnow
from actions.domain import Channel, DeliveryStatus
from actions.i18n import Translator, default_translator
from bot.broadcast.attempt import Attempt
from bot.broadcast.line import MAX_RECIPIENTS, LineBroadcaster
from bot.broadcast.telegram import TelegramBroadcaster
from bot.outbound import RetryPolicy
from bot.settings import Settings

logger = logging.getLogger(__name__)

# LINE multicasts in flight at once (each is up to 500 users).
LINE_IN_FLIGHT = 4
# Telegram outcomes are written every FLUSH_INTERVAL_S, at most FLUSH_ROWS per transaction.
FLUSH_INTERVAL_S = 0.05
FLUSH_ROWS = 200
# Telegram rows claimed at a time: about CLAIM_SECONDS of sending at the configured rate.
CLAIM_SECONDS = 2.0
MAX_TELEGRAM_CLAIM = 500
# Writing outcomes is tried this often before the rows are left to the claim TTL.
RECORD_ATTEMPTS = 4
SUMMARY_EVERY_S = 10.0


@dataclass(frozen=True, slots=True)
class WorkerOptions:
    max_attempts: int = 5
    claim_ttl_s: float = 60.0
    poll_interval_s: float = 1.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    line_batch_size: int = MAX_RECIPIENTS
    telegram_claim_size: int = 60
    telegram_concurrency: int = 8

    @classmethod
    def from_settings(cls, settings: Settings) -> WorkerOptions:
        return cls(
            max_attempts=settings.delivery_max_attempts,
            claim_ttl_s=settings.delivery_claim_ttl_s,
            poll_interval_s=settings.delivery_poll_interval_s,
            retry=RetryPolicy(
                attempts=settings.delivery_max_attempts,
                base_delay_s=settings.delivery_retry_base_s,
                max_delay_s=settings.delivery_retry_max_s,
            ),
            telegram_claim_size=max(
                1, min(MAX_TELEGRAM_CLAIM, round(settings.telegram_broadcast_rate * CLAIM_SECONDS))
            ),
            telegram_concurrency=settings.telegram_broadcast_concurrency,
        )


def new_worker_id() -> str:
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(3)}"


class DeliveryWorker:
    """Runs the channel loops until :meth:`stop`; a channel without a broadcaster is left alone."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        options: WorkerOptions,
        *,
        line: LineBroadcaster | None,
        telegram: TelegramBroadcaster | None,
        translator: Translator,
        worker_id: str | None = None,
    ) -> None:
        self.worker_id = worker_id or new_worker_id()
        self._sessions = sessions
        self._options = options
        self._line = line
        self._telegram = telegram
        self._translator = translator
        self._stopping = asyncio.Event()
        self.counts: dict[str, int] = {state.value: 0 for state in DeliveryStatus}
        # What this worker holds (queued or in flight): a claim of its own it renewed too late
        # (an event loop stalled past the TTL) must not send the same thing twice.
        self._held_rows: set[int] = set()
        self._held_batches: set[str] = set()

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        sessions: async_sessionmaker[AsyncSession],
        *,
        channels: Collection[str] = (Channel.LINE, Channel.TELEGRAM),
    ) -> DeliveryWorker:
        """A worker for those of `channels` whose credentials are set."""
        line = telegram = None
        if Channel.LINE in channels and settings.line_channel_access_token is not None:
            line = LineBroadcaster(settings)
        if Channel.TELEGRAM in channels and settings.telegram_bot_token is not None:
            telegram = TelegramBroadcaster(settings, concurrency=settings.telegram_broadcast_concurrency)
        return cls(
            sessions,
            WorkerOptions.from_settings(settings),
            line=line,
            telegram=telegram,
            translator=default_translator(),
        )

    @property
    def channels(self) -> list[str]:
        names = []
        if self._line is not None:
            names.append(Channel.LINE.value)
        if self._telegram is not None:
            names.append(Channel.TELEGRAM.value)
        return names

    def stop(self) -> None:
        self._stopping.set()

    async def aclose(self) -> None:
        if self._line is not None:
            await self._line.aclose()
        if self._telegram is not None:
            await self._telegram.aclose()

    async def run(self) -> None:
        """Deliver until stopped; in-flight sends finish and their outcomes are written."""
        if not self.channels:
            logger.info("delivery worker: no push channel configured (LINE, Telegram); idle")
            await self._stopping.wait()
            return
        logger.info("delivery worker %s started for %s", self.worker_id, ", ".join(self.channels))
        loops: list[Awaitable[None]] = []
        if self._line is not None:
            loops.append(self._line_loop(self._line))
        if self._telegram is not None:
            loops.append(self._telegram_loop(self._telegram))
        loops.append(self._summaries())
        loops.append(self._heartbeat())
        await asyncio.gather(*loops)
        logger.info("delivery worker %s stopped", self.worker_id)

    # Shared -------------------------------------------------------------------------------

    async def _pause(self, seconds: float) -> None:
        """Sleep, but wake up at once when the worker is stopped."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)

    def _scope(self) -> ClaimScope:
        now = utcnow()
        return ClaimScope(
            self.worker_id, now, now - timedelta(seconds=self._options.claim_ttl_s), self._translator
        )

    async def _has_due(self, channel: str) -> bool:
        """A read-only look first, so that an idle worker never takes SQLite's write lock."""
        async with self._sessions() as session:
            return await has_due(session, channel, self._scope())

    async def _claim(
        self, take: Callable[[AsyncSession, ClaimScope], Awaitable[Claim | None]]
    ) -> Claim | None:
        async with self._sessions() as session:
            claim = await take(session, self._scope())
            await session.commit()
        if claim is not None:
            self.counts[DeliveryStatus.SKIPPED] += claim.skipped
        return claim

    def _outcome(self, item: Outgoing, attempt: Attempt, now: datetime) -> Outcome:
        if attempt.ok:
            return Outcome(item.delivery_id, DeliveryStatus.SENT)
        if attempt.unreachable:
            return Outcome(item.delivery_id, DeliveryStatus.SKIPPED, attempt.error)
        if attempt.retry and item.attempts < self._options.max_attempts:
            wait = (
                attempt.wait_s if attempt.wait_s is not None else self._options.retry.backoff(item.attempts)
            )
            return Outcome(
                item.delivery_id, DeliveryStatus.PENDING, attempt.error, now + timedelta(seconds=wait)
            )
        error = f"{attempt.error} (attempt {item.attempts} of {self._options.max_attempts})"
        return Outcome(item.delivery_id, DeliveryStatus.FAILED, error)

    async def _record(self, results: list[tuple[Outgoing, Attempt]]) -> None:
        now = utcnow()
        outcomes = [self._outcome(item, attempt, now) for item, attempt in results]
        blocked = {item.user_id for item, attempt in results if attempt.unreachable}
        for attempt_number in range(1, RECORD_ATTEMPTS + 1):
            try:
                async with self._sessions() as session:
                    await record_outcomes(session, outcomes, worker=self.worker_id, now=now)
                    await mark_unreachable(session, blocked)
                    await session.commit()
                break
            except Exception:
                if attempt_number == RECORD_ATTEMPTS:
                    # The rows stay `sending` and are taken over once their claim expires.
                    logger.exception("delivery outcomes of %d rows could not be written", len(outcomes))
                    self._held_rows.difference_update(outcome.delivery_id for outcome in outcomes)
                    return
                logger.warning("writing delivery outcomes failed; trying again", exc_info=True)
                await asyncio.sleep(0.2 * 2**attempt_number)
        for outcome in outcomes:
            self.counts[outcome.status] += 1
            self._held_rows.discard(outcome.delivery_id)

    async def _heartbeat(self) -> None:
        while not self._stopping.is_set():
            await self._pause(self._options.claim_ttl_s / 3)
            try:
                async with self._sessions() as session:
                    await extend_claims(
                        session,
                        worker=self.worker_id,
                        now=utcnow(),
                        delivery_ids=list(self._held_rows),
                        batch_keys=list(self._held_batches),
                    )
                    await session.commit()
            except Exception:
                logger.warning("delivery claims not renewed", exc_info=True)

    async def _summaries(self) -> None:
        last: dict[str, int] = {}
        while not self._stopping.is_set():
            await self._pause(SUMMARY_EVERY_S)
            if self.counts != last:
                last = dict(self.counts)
                logger.info("delivery worker %s: %s", self.worker_id, last)

    # LINE ---------------------------------------------------------------------------------

    async def _line_loop(self, line: LineBroadcaster) -> None:
        slots = asyncio.Semaphore(LINE_IN_FLIGHT)
        in_flight: set[asyncio.Task[None]] = set()
        size = self._options.line_batch_size
        busy = False
        while not self._stopping.is_set():
            await slots.acquire()
            try:
                claim = None
                # While batches keep coming, claim straight away; idle, look before taking a lock.
                if busy or await self._has_due(Channel.LINE):
                    claim = await self._claim(
                        lambda session, scope: claim_line_batch(session, scope, size=size)
                    )
                busy = claim is not None
            except Exception:
                slots.release()
                logger.exception("claiming LINE deliveries failed")
                await self._pause(self._options.poll_interval_s)
                continue
            if claim is None or not claim.items or claim.batch_key in self._held_batches:
                slots.release()
                if claim is None:
                    await self._pause(self._options.poll_interval_s)
                continue
            assert claim.batch_key is not None
            self._held_batches.add(claim.batch_key)
            task = asyncio.create_task(self._send_line_batch(line, claim, slots), name="broadcast:line")
            in_flight.add(task)
            task.add_done_callback(in_flight.discard)
        if in_flight:
            await asyncio.gather(*in_flight, return_exceptions=True)

    async def _send_line_batch(self, line: LineBroadcaster, claim: Claim, slots: asyncio.Semaphore) -> None:
        assert claim.batch_key is not None
        try:
            items = claim.items
            attempt = await line.multicast([item.to for item in items], claim.text(items[0]), claim.batch_key)
            if not attempt.ok:
                logger.warning("LINE batch %s (%d users): %s", claim.batch_key, len(items), attempt.error)
            await self._record([(item, attempt) for item in items])
        except Exception:
            logger.exception("LINE batch %s failed", claim.batch_key)
        finally:
            self._held_batches.discard(claim.batch_key)
            slots.release()

    # Telegram -----------------------------------------------------------------------------

    async def _telegram_loop(self, telegram: TelegramBroadcaster) -> None:
        queue: asyncio.Queue[tuple[Outgoing, str]] = asyncio.Queue()
        results: list[tuple[Outgoing, Attempt]] = []
        need_more = asyncio.Event()
        low_water = self._options.telegram_claim_size // 2
        senders = [
            asyncio.create_task(self._telegram_sender(telegram, queue, results, need_more, low_water))
            for _ in range(self._options.telegram_concurrency)
        ]
        flusher = asyncio.create_task(self._flush_loop(results))
        started = busy = False
        delay = self._options.poll_interval_s
        try:
            while not self._stopping.is_set():
                if queue.qsize() > low_water:
                    need_more.clear()
                    await self._wait_either(need_more)
                    continue
                try:
                    if not busy and not await self._has_due(Channel.TELEGRAM):
                        await self._pause(self._options.poll_interval_s)
                        continue
                    if not started:
                        await telegram.start()
                        started, delay = True, self._options.poll_interval_s
                    claim = await self._claim(
                        lambda session, scope: claim_deliveries(
                            session, Channel.TELEGRAM, scope, limit=self._options.telegram_claim_size
                        )
                    )
                except Exception as exc:
                    logger.warning("Telegram deliveries not claimed (%s); trying again in %.0f s", exc, delay)
                    await self._pause(delay)
                    delay = min(delay * 2, 60.0)
                    continue
                busy = (
                    claim is not None
                    and len(claim.items) + claim.skipped >= self._options.telegram_claim_size
                )
                if claim is not None:
                    for item in claim.items:
                        if item.delivery_id not in self._held_rows:
                            self._held_rows.add(item.delivery_id)
                            queue.put_nowait((item, claim.text(item)))
        finally:
            await self._stop_telegram(queue, senders, flusher, results)

    async def _wait_either(self, event: asyncio.Event) -> None:
        waiters = [asyncio.create_task(event.wait()), asyncio.create_task(self._stopping.wait())]
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        for waiter in waiters:
            waiter.cancel()

    async def _telegram_sender(
        self,
        telegram: TelegramBroadcaster,
        queue: asyncio.Queue[tuple[Outgoing, str]],
        results: list[tuple[Outgoing, Attempt]],
        need_more: asyncio.Event,
        low_water: int,
    ) -> None:
        while True:
            item, text = await queue.get()
            try:
                if queue.qsize() <= low_water:
                    need_more.set()
                try:
                    attempt = await telegram.send(item.to, text)
                except Exception as exc:
                    logger.exception("Telegram send to %s failed", item.to)
                    attempt = Attempt(ok=False, error=f"{exc.__class__.__name__}: {exc}"[:500], retry=True)
                results.append((item, attempt))
            finally:
                queue.task_done()

    async def _flush_loop(self, results: list[tuple[Outgoing, Attempt]]) -> None:
        while True:
            await asyncio.sleep(FLUSH_INTERVAL_S)
            await self._flush(results)

    async def _flush(self, results: list[tuple[Outgoing, Attempt]]) -> None:
        while results:
            batch = results[:FLUSH_ROWS]
            del results[: len(batch)]
            await self._record(batch)

    async def _stop_telegram(
        self,
        queue: asyncio.Queue[tuple[Outgoing, str]],
        senders: list[asyncio.Task[None]],
        flusher: asyncio.Task[None],
        results: list[tuple[Outgoing, Attempt]],
    ) -> None:
        unsent: list[int] = []
        while not queue.empty():
            item, _ = queue.get_nowait()
            unsent.append(item.delivery_id)
            queue.task_done()
        # Sends in flight finish (each is bounded by the request timeout).
        await queue.join()
        for task in [*senders, flusher]:
            task.cancel()
        await asyncio.gather(*senders, flusher, return_exceptions=True)
        await self._flush(results)
        self._held_rows.difference_update(unsent)
        if unsent:
            async with self._sessions() as session:
                released = await release(session, unsent, worker=self.worker_id)
                await session.commit()
            logger.info(
                "delivery worker %s gave back %d unsent Telegram deliveries", self.worker_id, released
            )


@asynccontextmanager
async def delivery_worker(
    settings: Settings, sessions: async_sessionmaker[AsyncSession]
) -> AsyncIterator[DeliveryWorker | None]:
    """Run a worker in the background while the context is open (when DELIVERY_WORKER_ENABLED)."""
    if not settings.delivery_worker_enabled:
        logger.info("delivery worker off (DELIVERY_WORKER_ENABLED=false)")
        yield None
        return
    worker = DeliveryWorker.from_settings(settings, sessions)
    task = asyncio.create_task(worker.run(), name="broadcast:worker")
    try:
        yield worker
    finally:
        worker.stop()
        try:
            await asyncio.wait_for(task, settings.outbound_timeout_s + 5)
        except Exception:
            logger.exception("the delivery worker did not stop cleanly")
        await worker.aclose()
