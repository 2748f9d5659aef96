"""Broadcast throughput: one alert to N subscribers (half LINE, half Telegram) through real
`safety-bot worker` processes (one per channel), against the fake LINE and Telegram APIs of
tests/fakes enforcing rate limits (429 above them), on SQLite and on PostgreSQL: a plain run, a run
whose workers are SIGKILLed midway and restarted, and a LINE-only run at LINE's documented multicast
limit (200 requests/s) that shows what one LINE worker can claim from the database.

Per channel it reports the sending time, the achieved rate as a fraction of the allowed one, the
429s received, and duplicates and misses (both must be 0). Not a test: it asserts nothing.
Writes bench/results/broadcast.json.

Run: .venv/bin/python -m bench.broadcast [--count 100000] [--telegram-rate 500] [--line-rate 10]
(PostgreSQL: --postgres-url; its `public` schema is dropped and recreated.)
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import logging
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, insert, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker  # noqa: E402

from actions.alerts.draft import AlertDraft, AreaDraft  # noqa: E402
from actions.alerts.service import create_alert  # noqa: E402
from actions.alerts.vocabulary import Certainty, Hazard, Severity, Urgency  # noqa: E402
from actions.db.base import utcnow  # noqa: E402
from actions.db.migrate import upgrade_database  # noqa: E402
from actions.db.models import Delivery, Subscription, User  # noqa: E402
from actions.db.session import create_engine, create_session_factory  # noqa: E402
from actions.places.gazetteer import default_gazetteer  # noqa: E402
from bot.settings import Settings  # noqa: E402
from tests.conftest import _reset_postgres as reset_test_postgres  # noqa: E402
from tests.fakes.line_api import FakeLineApi  # noqa: E402
from tests.fakes.server import RateLimit  # noqa: E402
from tests.fakes.telegram_api import FakeTelegramApi  # noqa: E402
from tests.workers import WorkerProcess  # noqa: E402

logger = logging.getLogger("bench.broadcast")

RESULTS = ROOT / "bench" / "results" / "broadcast.json"
LINE_TOKEN = "bench-line-token"
TELEGRAM_TOKEN = "123456:BENCH-telegram-token"
# Subscribers' languages (LINE multicasts are per language): Thai and English most, some others.
LANGUAGES = ["th"] * 4 + ["en"] * 4 + ["zh", "ru"]
CHUNK = 5_000
# The worker renews its claims; after a kill, the new worker takes them over after this.
CLAIM_TTL_S = 5.0
# LINE's documented limit for the multicast endpoint.
LINE_DOCUMENTED_RATE = 200.0


async def reset_postgres(url: str) -> None:
    admin = create_engine(str(make_url(url).set(database="postgres")))
    try:
        async with admin.connect() as connection:
            connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
            name = make_url(url).database
            exists = await connection.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
            )
            if not exists:
                await connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        await admin.dispose()
    await reset_test_postgres(url)


async def seed(
    sessions: async_sessionmaker[AsyncSession], line_users: int, telegram_users: int
) -> tuple[list[str], list[int]]:
    """Subscribers of Patong on LINE and on Telegram; their platform ids."""
    area = default_gazetteer().get("patong")
    assert area is not None
    now = utcnow()
    line_ids = [f"U{n:032x}" for n in range(line_users)]
    chats = [100_000_000 + n for n in range(telegram_users)]
    users = [("line", uid) for uid in line_ids] + [("telegram", str(chat)) for chat in chats]
    async with sessions() as session:
        for start in range(0, len(users), CHUNK):
            chunk = users[start : start + CHUNK]
            rows = [
                {
                    "channel": channel,
                    "channel_user_id": uid,
                    "language": LANGUAGES[(start + i) % len(LANGUAGES)],
                    "reachable": True,
                    "created_at": now,
                    "updated_at": now,
                }
                for i, (channel, uid) in enumerate(chunk)
            ]
            statement = insert(User).returning(User.id, sort_by_parameter_order=True)
            ids = list(await session.scalars(statement, rows))
            subscriptions = [
                {
                    "user_id": user_id,
                    "area_id": area.id,
                    "lat": area.point.lat,
                    "lon": area.point.lon,
                    "radius_m": 2_000.0,
                    "label": "Patong",
                    "active": True,
                    "created_at": now,
                }
                for user_id in ids
            ]
            await session.execute(insert(Subscription), subscriptions)
        await session.commit()
    return line_ids, chats


async def issue(sessions: async_sessionmaker[AsyncSession]) -> tuple[int, int]:
    draft = AlertDraft(
        hazard=Hazard.TSUNAMI,
        severity=Severity.EXTREME,
        urgency=Urgency.IMMEDIATE,
        certainty=Certainty.OBSERVED,
        area=AreaDraft(zones=["patong"]),
        headline={"th": "คำเตือนสึนามิ", "en": "Tsunami warning"},
        instruction={"th": "อพยพขึ้นที่สูงทันที", "en": "Move to high ground now"},
    )
    async with sessions() as session:
        result = await create_alert(session, draft, actor="bench", agency="DDPM Phuket", now=utcnow())
        await session.commit()
    return result.alert.id, result.deliveries


async def states(sessions: async_sessionmaker[AsyncSession], alert_id: int) -> dict[str, Counter[str]]:
    async with sessions() as session:
        rows = await session.execute(
            select(Delivery.channel, Delivery.status, func.count())
            .where(Delivery.alert_id == alert_id)
            .group_by(Delivery.channel, Delivery.status)
        )
        found: dict[str, Counter[str]] = {"line": Counter(), "telegram": Counter()}
        for channel, status, count in rows:
            found[channel][status] = int(count)
        return found


def line_batches(line_users: int) -> int:
    """Multicasts needed: per language, 500 users each (LINE user n speaks LANGUAGES[n % 10])."""
    per_language = Counter(LANGUAGES[n % len(LANGUAGES)] for n in range(line_users))
    return sum(-(-count // 500) for count in per_language.values())


async def until(
    check: Callable[[], Awaitable[bool]], *, limit_s: float, what: str, every_s: float = 0.1
) -> None:
    deadline = time.monotonic() + limit_s
    while not await check():
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        await asyncio.sleep(every_s)


def channel_figures(
    *, accepted_at: list[float], counts: Counter[Any], expected: list[Any], limit: float, throttled: int
) -> dict[str, Any]:
    accepted_at = sorted(accepted_at)
    span = accepted_at[-1] - accepted_at[0] if len(accepted_at) > 1 else 0.0
    rate = (len(accepted_at) - 1) / span if span else 0.0
    # The longest silence: in a kill case, from the kill until the new worker took over.
    gap = max((b - a for a, b in itertools.pairwise(accepted_at)), default=0.0)
    return {
        "requests": len(accepted_at),
        "send_span_s": round(span, 2),
        "achieved_rate_per_s": round(rate, 2),
        "allowed_rate_per_s": limit,
        "fraction_of_allowed": round(rate / limit, 3),
        "longest_pause_s": round(gap, 2),
        "throttled_429": throttled,
        "recipients": len(expected),
        "duplicates": sum(n - 1 for n in counts.values() if n > 1),
        "misses": sum(1 for recipient in expected if counts[recipient] == 0),
    }


def worker_settings(
    url: str, line: FakeLineApi, telegram: FakeTelegramApi, *, line_rate: float, args: argparse.Namespace
) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=url,
        line_channel_secret="bench-secret",
        line_channel_access_token=LINE_TOKEN,
        line_api_base_url=line.url,
        line_data_api_base_url=line.data.url,
        telegram_bot_token=TELEGRAM_TOKEN,
        telegram_api_base_url=telegram.url,
        line_multicast_rate=line_rate,
        telegram_broadcast_rate=args.telegram_rate,
        telegram_broadcast_concurrency=args.concurrency,
        delivery_claim_ttl_s=CLAIM_TTL_S,
        delivery_poll_interval_s=0.2,
        log_level="WARNING",
    )


async def run_case(
    database: str, url: str, *, kind: str, args: argparse.Namespace, workdir: Path
) -> dict[str, Any]:
    """`run`, `kill` (SIGKILL midway, restart) or `line-capacity` (LINE only, at LINE's real limit)."""
    if database == "postgresql":
        await reset_postgres(url)
    line_only = kind == "line-capacity"
    line_rate = LINE_DOCUMENTED_RATE if line_only else args.line_rate
    channels = ["line"] if line_only else ["line", "telegram"]
    engine = create_engine(url)
    line = FakeLineApi(LINE_TOKEN)
    telegram = FakeTelegramApi(TELEGRAM_TOKEN)
    line.multicast_limit = RateLimit(line_rate)
    telegram.send_limit = RateLimit(args.telegram_rate)
    await line.start()
    await telegram.start()
    try:
        await upgrade_database(engine)
        sessions = create_session_factory(engine)
        started = time.monotonic()
        line_ids, chats = await seed(
            sessions, args.count // 2, 0 if line_only else args.count - args.count // 2
        )
        seeded = time.monotonic()
        alert_id, deliveries = await issue(sessions)
        enqueued = time.monotonic()
        settings = worker_settings(url, line, telegram, line_rate=line_rate, args=args)
        log = workdir / f"worker-{database}-{kind}.log"

        def start_workers() -> list[WorkerProcess]:
            # One process per channel: each paces its channel alone, and neither takes CPU from the other.
            return [WorkerProcess(settings, log, "--channel", channel) for channel in channels]

        workers = start_workers()
        kill_note: dict[str, Any] = {}
        if kind == "kill":
            # Midway through LINE's batches (Telegram is in progress too): hold Telegram's next
            # requests before Telegram accepts them, let the worker record what was accepted,
            # then SIGKILL the workers with the held requests (and LINE's calls) in flight.
            batches = line_batches(len(line_ids))

            async def line_midway() -> bool:
                for worker in workers:
                    worker.assert_alive()
                return len(line.multicasts) >= batches // 2

            await until(line_midway, limit_s=600, what="LINE midway")
            telegram.send_gate.close()

            async def recorded() -> bool:
                found = await states(sessions, alert_id)
                return telegram.send_gate.held > 0 and found["telegram"]["sent"] == len(telegram.delivered)

            await until(recorded, limit_s=60, what="Telegram accepted messages recorded")
            for worker in workers:
                worker.kill()

            async def noticed() -> bool:
                return telegram.send_gate.clients_gone()

            await until(noticed, limit_s=30, what="the fake saw the connections close")
            telegram.send_gate.open()
            kill_note = {
                "line_batches_accepted_before_kill": len(line.multicasts),
                "telegram_accepted_before_kill": len(telegram.delivered),
                "telegram_requests_in_flight_at_kill": telegram.send_gate.held,
            }
            workers = start_workers()
        settled: dict[str, float] = {}

        async def done() -> bool:
            for worker in workers:
                worker.assert_alive()
            found = await states(sessions, alert_id)
            for channel in channels:
                counts = found[channel]
                if channel not in settled and counts["pending"] + counts["sending"] == 0:
                    settled[channel] = time.monotonic() - enqueued
            return len(settled) == len(channels)

        await until(done, limit_s=1800, what="broadcast finished", every_s=0.5)
        for worker in workers:
            await worker.stop()
        final = await states(sessions, alert_id)
    finally:
        await line.stop()
        await telegram.stop()
        await engine.dispose()
    line_accepted = [r.at for r in line.calls("multicast") if r.status == 200]
    telegram_accepted = [r.at for r in telegram.calls("sendMessage") if r.status == 200]
    result: dict[str, Any] = {
        "database": database,
        "case": kind,
        "subscribers": len(line_ids) + len(chats),
        "deliveries_enqueued": deliveries,
        "seed_s": round(seeded - started, 2),
        "enqueue_s": round(enqueued - seeded, 2),
        **({"kill": kill_note} if kind == "kill" else {}),
        "line": {
            **channel_figures(
                accepted_at=line_accepted,
                counts=line.multicast_counts(),
                expected=line_ids,
                limit=line_rate,
                throttled=line.multicast_limit.refused,
            ),
            "recipients_per_s": round(len(line_ids) / max(1e-9, max(line_accepted) - min(line_accepted)), 1),
            "repeats_refused_409": sum(1 for r in line.calls("multicast") if r.status == 409),
            "all_settled_after_s": round(settled["line"], 2),
            "states": dict(final["line"]),
        },
    }
    if not line_only:
        result["telegram"] = {
            **channel_figures(
                accepted_at=telegram_accepted,
                counts=telegram.delivered_counts(),
                expected=chats,
                limit=args.telegram_rate,
                throttled=telegram.send_limit.refused,
            ),
            "all_settled_after_s": round(settled["telegram"], 2),
            "states": dict(final["telegram"]),
        }
    return result


TITLES = {
    "run": "",
    "kill": " (workers killed midway, restarted)",
    "line-capacity": " (LINE only, at LINE's documented limit)",
}


def summary(case: dict[str, Any]) -> str:
    lines = [
        f"{case['database']}{TITLES[case['case']]}: {case['subscribers']:,} subscribers, "
        f"enqueued in {case['enqueue_s']} s"
    ]
    for channel in ("line", "telegram"):
        if channel not in case:
            continue
        c = case[channel]
        lines.append(
            f"  {channel:<8} {c['requests']:>6} requests in {c['send_span_s']:>7} s = "
            f"{c['achieved_rate_per_s']:>7}/s of {c['allowed_rate_per_s']}/s "
            f"({100 * c['fraction_of_allowed']:.1f}%), 429s {c['throttled_429']}, "
            f"duplicates {c['duplicates']}, misses {c['misses']}, settled after {c['all_settled_after_s']} s"
        )
    return "\n".join(lines)


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=100_000, help="subscribers (half LINE, half Telegram)")
    parser.add_argument("--line-rate", type=float, default=10.0, help="LINE multicast requests/s allowed")
    parser.add_argument("--telegram-rate", type=float, default=500.0, help="Telegram messages/s allowed")
    parser.add_argument("--concurrency", type=int, default=4, help="Telegram requests in flight")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument(
        "--postgres-url", default="postgresql+asyncpg://postgres@127.0.0.1:5432/bench_broadcast"
    )
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    cases = []
    began = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="bench-broadcast-") as tmp:
        workdir = Path(tmp)
        for database in args.databases.split(","):
            url = f"sqlite+aiosqlite:///{workdir / 'bench.db'}" if database == "sqlite" else args.postgres_url
            for kind in ("run", "kill", "line-capacity"):
                if database == "sqlite":
                    url = f"sqlite+aiosqlite:///{workdir / f'bench-{kind}.db'}"
                case = await run_case(database, url, kind=kind, args=args, workdir=workdir)
                print(summary(case), flush=True)
                cases.append(case)
    result = {
        "what": "one alert to N subscribers through `safety-bot worker` processes (one per channel), "
        "against fake platforms that answer 429 above their limits",
        "limits": {
            "line_multicast_requests_per_s": args.line_rate,
            "line_multicast_requests_per_s_capacity_case": LINE_DOCUMENTED_RATE,
            "line_recipients_per_multicast": 500,
            "telegram_messages_per_s": args.telegram_rate,
            "telegram_concurrency": args.concurrency,
            "claim_ttl_s": CLAIM_TTL_S,
        },
        "total_s": round(time.monotonic() - began, 1),
        "cases": cases,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"written to {args.out}")


if __name__ == "__main__":
    asyncio.run(main())
