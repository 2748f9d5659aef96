"""Parse latency through the NLU HTTP service, per language, and the last training wall time.

Starts the trained model with `scripts/nlu-serve.sh` on a free port (or uses --url), sends every
training example of each language once (after a warm-up), and prints p50/p95/p99 per language.
Writes bench/results/nlu_latency.json. Not a test: no assertions.
Run: .venv/bin/python bench/nlu_latency.py [--per-language 200]
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.nlu_data import ROOT, examples_by_language


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(model: Path | None = None) -> tuple[subprocess.Popen[bytes], str, str]:
    """`rasa run` on a free port with `model` (default models/nlu.tar.gz); ready to parse."""
    port, token = free_port(), secrets.token_urlsafe(16)
    env = {**os.environ, "NLU_PORT": str(port), "NLU_TOKEN": token}
    if model is not None:
        env["NLU_MODEL"] = str(model)
    process = subprocess.Popen(
        [str(ROOT / "scripts" / "nlu-serve.sh")],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            if httpx.get(f"{url}/status", params={"token": token}, timeout=2).status_code == 200:
                return process, url, token
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    process.kill()
    raise SystemExit("the NLU service did not start")


def measure(
    url: str, token: str | None, per_language: int, *, quiet: bool = False
) -> dict[str, dict[str, float]]:
    """p50/p95/p99 parse latency per language: each training example once, after a warm-up."""
    params = {"token": token} if token else {}
    results: dict[str, dict[str, float]] = {}
    with httpx.Client(base_url=url, params=params, timeout=30) as client:
        for _ in range(5):
            client.post("/model/parse", json={"text": "warm up"}).raise_for_status()
        if not quiet:
            print(f"{'lang':5} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8}")
        for language, intents in examples_by_language().items():
            texts = [text for examples in intents.values() for text in examples][:per_language]
            timings = []
            for text in texts:
                start = time.perf_counter()
                client.post("/model/parse", json={"text": text}).raise_for_status()
                timings.append((time.perf_counter() - start) * 1000)
            row = {
                "n": len(timings),
                "p50_ms": round(percentile(timings, 50), 1),
                "p95_ms": round(percentile(timings, 95), 1),
                "p99_ms": round(percentile(timings, 99), 1),
                "max_ms": round(max(timings), 1),
                "mean_ms": round(statistics.fmean(timings), 1),
            }
            results[language] = row
            if not quiet:
                print(
                    f"{language:5} {row['n']:>5} {row['p50_ms']:>8} {row['p95_ms']:>8} "
                    f"{row['p99_ms']:>8} {row['max_ms']:>8}"
                )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", help="an NLU service already running (default: start one)")
    parser.add_argument("--token", default=os.environ.get("NLU_TOKEN"))
    parser.add_argument("--per-language", type=int, default=200)
    args = parser.parse_args()
    process = None
    if args.url:
        url, token = args.url, args.token
    else:
        process, url, token = start_server()
    try:
        results = measure(url, token, args.per_language)
    finally:
        if process is not None:
            process.terminate()
            process.wait(timeout=30)
    seconds_file = ROOT / "models" / "nlu-train-seconds.txt"
    training = float(seconds_file.read_text()) if seconds_file.exists() else None
    print(f"training wall time (last make nlu-train): {training} s" if training else "training time unknown")
    out = ROOT / "bench" / "results" / "nlu_latency.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps({"latency": results, "training_seconds": training, "cores": os.cpu_count()}, indent=2)
    )
    print(f"written {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
