"""Schemathesis against the app's own OpenAPI document, over HTTP to a live `safety-bot serve`.

Every operation, with an admin key (so the agency routes are reached past their key check), in
schemathesis' coverage, fuzzing and stateful phases (the document's links lead from a new incident,
alert, place or key to the operations on it). Checked: no 5xx, and every status code, content type
and body as the document declares. Bounded: at most FUZZ_EXAMPLES cases per operation, seeded.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.conftest import ROOT, free_port

EXAMPLES_PER_OPERATION = int(os.environ.get("FUZZ_EXAMPLES", "10"))
SEED = int(os.environ.get("FUZZ_SEED", "20261206"))
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"
BIN = Path(sys.executable).parent


def _server_env(tmp_path: Path, dead_nlu_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'fuzz.db'}",
        "NLU_URL": dead_nlu_url,
        "SOS_JOURNAL_DIR": str(tmp_path / "journal"),
        "DELIVERY_WORKER_ENABLED": "false",
        "LOG_LEVEL": "WARNING",
    }


def test_every_operation_answers_as_its_schema_says_and_never_with_5xx(tmp_path, dead_nlu_url, fuzz_summary):
    env = _server_env(tmp_path, dead_nlu_url)
    added = subprocess.run(
        [BIN / "safety-bot", "agency", "add-key", "--agency", "fuzzers", "--role", "admin"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    key = added.stdout.split()[-1]
    port = free_port()
    log_path = tmp_path / "server.log"
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [BIN / "safety-bot", "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 60
            while True:
                assert server.poll() is None, log_path.read_text()
                try:
                    if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)
            report_path = tmp_path / "schemathesis.json"
            run = subprocess.run(
                [
                    BIN / "st",
                    "run",
                    f"{base}/openapi.json",
                    "--header",
                    f"Authorization: Bearer {key}",
                    "--checks",
                    CHECKS,
                    "--max-examples",
                    str(EXAMPLES_PER_OPERATION),
                    "--seed",
                    str(SEED),
                    "--workers",
                    "1",
                    "--report",
                    "json",
                    "--report-json-path",
                    str(report_path),
                ],
                cwd=tmp_path,
                capture_output=True,
                text=True,
                timeout=600,
                check=False,
            )
        finally:
            server.terminate()
            server.wait(timeout=30)

    report = json.loads(report_path.read_text())
    failures = {failure["code"]: failure for failure in report["failures"]}
    server_errors = failures.get("ST101", {}).get("count", 0)
    tracebacks = log_path.read_text().count("Exception in ASGI application")
    fuzz_summary(
        f"schemathesis: {report['operations']['tested']} operations, {report['test_cases']['generated']} "
        f"cases, {server_errors} server errors (server log: {tracebacks} exceptions), "
        f"{len(report['failures'])} kinds of failure"
    )
    assert report["operations"]["tested"] == report["operations"]["total"] >= 25
    assert (server_errors, tracebacks) == (0, 0), run.stdout[-6000:]
    assert report["failures"] == [] and report["errors"] == [], run.stdout[-6000:]
    assert run.returncode == 0, run.stdout[-6000:]
