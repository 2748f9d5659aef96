"""Console page speed with 10,000 incidents in the database, through the real server.

Seeds a fresh database (SQLite file by default, or --database-url postgresql+asyncpg://...) with
10,000 incidents spread over the gazetteer's zones and the last 30 days, each with its events and
a short conversation, starts `safety-bot serve` as a subprocess (the NLU is not needed: no chat
is sent), signs in, and times the console's pages: the queue (default filters: open incidents),
the queue filtered (status + type + area + age), the map data, and incident pages. Prints
p50/p95 per page and writes bench/results/console.json. Not a test: no assertions.
Run: .venv/bin/python bench/console.py [--incidents 10000] [--requests 200] [--database-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from actions.api_keys import Role
from actions.console import create_account
from actions.db.migrate import upgrade_database
from actions.db.models import Incident, IncidentEvent, IncidentMessage, User
from actions.db.session import create_engine, create_session_factory
from actions.domain import EventKind, IncidentStatus, IncidentType, MessageKind
from actions.incidents.references import ALPHABET
from actions.places import default_gazetteer
from bench.nlu_latency import free_port, percentile

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "console.json"
PASSWORD = "bench password 1234"
TARGET_P95_MS = 200.0
STATUS_WEIGHTS = {
    IncidentStatus.NEW: 3,
    IncidentStatus.ACKNOWLEDGED: 2,
    IncidentStatus.DISPATCHED: 2,
    IncidentStatus.RESOLVED: 5,
    IncidentStatus.CLOSED: 10,
    IncidentStatus.CANCELLED: 2,
}


async def seed(database_url: str, count: int) -> list[str]:
    """Write `count` incidents (with events and messages) and one operator; their references."""
    rng = random.Random(11)
    engine = create_engine(database_url)
    await upgrade_database(engine)
    sessions = create_session_factory(engine)
    zones = list(default_gazetteer())
    now = datetime.now(UTC)
    references: list[str] = []
    used: set[str] = set()
    async with sessions() as session:
        await create_account(
            session,
            username="bench",
            password=PASSWORD,
            agency="bench",
            role=Role.OPERATOR,
            created_by="bench",
            now=now,
            language="en",
        )
        users = [
            User(channel="web", channel_user_id=f"bench-{i}", language="th", created_at=now)
            for i in range(2000)
        ]
        session.add_all(users)
        await session.flush()
        statuses, weights = zip(*STATUS_WEIGHTS.items(), strict=True)
        for start in range(0, count, 1000):
            batch = []
            for _ in range(start, min(count, start + 1000)):
                reference = "PKT-" + "".join(rng.choice(ALPHABET) for _ in range(4))
                while reference in used:
                    reference = "PKT-" + "".join(rng.choice(ALPHABET) for _ in range(4))
                used.add(reference)
                zone = rng.choice(zones)
                created = now - timedelta(seconds=rng.uniform(0, 30 * 86400))
                located = rng.random() < 0.85
                incident = Incident(
                    reference=reference,
                    user_id=rng.choice(users).id,
                    channel="web",
                    incident_type=rng.choice(list(IncidentType)).value,
                    status=rng.choices(statuses, weights)[0].value,
                    language="th",
                    raw_text="ช่วยด้วย",
                    lat=zone.point.lat + rng.uniform(-0.01, 0.01) if located else None,
                    lon=zone.point.lon + rng.uniform(-0.01, 0.01) if located else None,
                    location_text=zone.name("en") if located else None,
                    created_at=created,
                    updated_at=created + timedelta(minutes=5),
                )
                batch.append(incident)
                references.append(reference)
            session.add_all(batch)
            await session.flush()
            for incident in batch:
                at = incident.created_at
                session.add_all(
                    [
                        IncidentEvent(
                            incident_id=incident.id,
                            kind=EventKind.CREATED.value,
                            actor="web:x",
                            text="ช่วยด้วย",
                            data={},
                            created_at=at,
                        ),
                        IncidentEvent(
                            incident_id=incident.id,
                            kind=EventKind.DETAILS.value,
                            actor="web:x",
                            text="มีคนจมน้ำ",
                            data={},
                            created_at=at + timedelta(minutes=1),
                        ),
                        IncidentEvent(
                            incident_id=incident.id,
                            kind=EventKind.STATUS_CHANGED.value,
                            actor="agency:bench/user:bench",
                            data={"from": "new", "to": incident.status},
                            created_at=at + timedelta(minutes=5),
                        ),
                        IncidentMessage(
                            incident_id=incident.id,
                            direction="in",
                            kind=MessageKind.TEXT.value,
                            text="ช่วยด้วย",
                            actor="web:x",
                            created_at=at,
                        ),
                        IncidentMessage(
                            incident_id=incident.id,
                            direction="out",
                            kind=MessageKind.REPLY.value,
                            text="บันทึกเหตุฉุกเฉินแล้ว",
                            actor="bot",
                            created_at=at,
                        ),
                    ]
                )
            await session.commit()
    await engine.dispose()
    return references


def serve(database_url: str, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "BOT_PORT": str(port),
        "NLU_URL": "http://127.0.0.1:9",  # not used: no chat message is sent
        "LOG_LEVEL": "WARNING",
        "DELIVERY_WORKER_ENABLED": "false",
    }
    return subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "safety-bot"), "serve", "--port", str(port)], env=env
    )


def sign_in(client: httpx.Client) -> None:
    form = client.get("/console/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token
    response = client.post(
        "/console/login", data={"username": "bench", "password": PASSWORD, "csrf_token": token.group(1)}
    )
    assert response.status_code == 303, response.text


def measure(client: httpx.Client, urls: list[str]) -> dict[str, float]:
    timings = []
    for url in urls:
        started = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return {
        "requests": len(timings),
        "p50_ms": round(percentile(timings, 50), 1),
        "p95_ms": round(percentile(timings, 95), 1),
        "mean_ms": round(statistics.fmean(timings), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=200, help="per page")
    parser.add_argument("--database-url", default=None, help="an EMPTY database (default: a new SQLite file)")
    args = parser.parse_args()

    folder = tempfile.mkdtemp(prefix="console-bench-")
    database_url = args.database_url or f"sqlite+aiosqlite:///{folder}/bench.db"
    started = time.perf_counter()
    references = asyncio.run(seed(database_url, args.incidents))
    backend = database_url.split(":")[0]
    print(f"seeded {len(references)} incidents in {time.perf_counter() - started:.1f} s ({backend})")

    port = free_port()
    server = serve(database_url, port)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            for _ in range(200):
                try:
                    if client.get("/healthz").status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.25)
            sign_in(client)
            rng = random.Random(5)
            zones = [area.id for area in default_gazetteer()]
            filtered = [
                f"/console/queue?f=1&status=new&status=acknowledged&type={rng.choice(list(IncidentType)).value}"
                f"&area={rng.choice(zones)}&age={rng.choice(['24h', '7d', 'all'])}"
                for _ in range(args.requests)
            ]
            pages = {
                "queue page (open incidents)": ["/console"] * args.requests,
                "queue rows, filtered": filtered,
                "map data (open incidents)": ["/console/map.geojson"] * args.requests,
                "map data, all incidents": [
                    "/console/map.geojson?f=1&" + "&".join(f"status={s.value}" for s in IncidentStatus)
                ]
                * args.requests,
                "incident page": [
                    f"/console/incidents/{rng.choice(references)}" for _ in range(args.requests)
                ],
            }
            for urls in pages.values():  # warm-up: caches, prepared statements, templates
                measure(client, urls[:10])
            results = {name: measure(client, urls) for name, urls in pages.items()}
    finally:
        server.terminate()
        server.wait(timeout=60)

    print(f"{'page':<32} {'p50 ms':>8} {'p95 ms':>8}   (target p95 ≤ {TARGET_P95_MS:.0f} ms)")
    for name, figures in results.items():
        verdict = "✅" if figures["p95_ms"] <= TARGET_P95_MS else "❌"
        print(f"{name:<32} {figures['p50_ms']:>8} {figures['p95_ms']:>8}   {verdict}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "database": database_url.split(":")[0],
                "incidents": args.incidents,
                "target_p95_ms": TARGET_P95_MS,
                "pages": results,
                "measured_at": datetime.now(UTC).isoformat(),
            },
            indent=2,
            ensure_ascii=False,
        )
        + "\n"
    )
    print(f"wrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
