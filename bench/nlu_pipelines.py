"""The NLU pipelines compared: training time, model size and parse latency, with the evaluations.

Trains each pipeline on all of data/nlu exactly as `make nlu-train` trains ours
(`scripts/nlu-train.sh --config FILE --name NAME --force`: fresh, no Rasa cache; ours also starts
with an empty embedding cache, as in a fresh clone), one after the other in this run, so that the
ratios compare like with like on this noisy machine. Then serves each model with `rasa run` and
measures parse latency through HTTP (bench/nlu_latency.py). F1 scores are read from the last
`make nlu-eval` / `make nlu-eval-independent` runs with the same PIPELINES (reports/nlu/).

Prints the README's table and writes bench/results/nlu_pipelines.json. Not a test: no assertions.
Run: .venv/bin/python -m bench.nlu_pipelines [--pipelines ours diet-2-layers ...] [--repeat 2]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

from bench.nlu_data import ROOT
from bench.nlu_latency import measure, start_server

CONFIGS = {
    "ours": ROOT / "nlu" / "config.yml",
    **{path.stem: path for path in sorted((ROOT / "nlu" / "candidates").glob("*.yml"))},
}
# Today's pipeline until this change (DIET, which trained with two transformer layers).
BASELINE = "diet-2-layers"
LANGUAGES = ["th", "en", "zh", "ru", "ko", "ja", "de", "fr"]
EMBEDDING_CACHE = ROOT / "models" / "embeddings"


def train(name: str) -> float:
    """Wall seconds of one fresh training of pipeline `name` into models/bench-NAME.tar.gz."""
    if name == "ours":
        shutil.rmtree(EMBEDDING_CACHE, ignore_errors=True)
    start = time.monotonic()
    subprocess.run(
        [
            str(ROOT / "scripts" / "nlu-train.sh"),
            *("--config", str(CONFIGS[name]), "--name", f"bench-{name}", "--force"),
        ],
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.monotonic() - start


def latency(name: str, per_language: int) -> dict[str, Any]:
    process, url, token = start_server(ROOT / "models" / f"bench-{name}.tar.gz")
    try:
        rows = measure(url, token, per_language, quiet=True)
    finally:
        process.terminate()
        process.wait(timeout=30)
    return {
        "p50_ms": max(r["p50_ms"] for r in rows.values()),
        "p99_ms": max(r["p99_ms"] for r in rows.values()),
        "per_language": rows,
    }


def scores(folder: Path, name: str) -> dict[str, dict[str, float | None]] | None:
    """Intent macro-F1 and location F1 per language from an evaluation summary, if it has `name`."""
    path = folder / "summary.json"
    if not path.exists():
        return None
    pipeline = json.loads(path.read_text()).get("pipelines", {}).get(name)
    if pipeline is None:
        return None
    return {
        language: {
            "intent_f1": result["intent_macro_f1"],
            "location_f1": result["entity_f1"].get("location", {}).get("f1"),
        }
        for language, result in pipeline["languages"].items()
    }


def cell(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


def table(results: dict[str, dict[str, Any]]) -> str:
    """One row per pipeline and test set: intent macro-F1 / location F1 per language."""
    lines = [
        "| pipeline | training (s) | ratio to today | model (MB) | parse p50 / p99 (ms) | test set | "
        + " | ".join(LANGUAGES)
        + " |",
        "|---|---|---|---|---|---|" + "---|" * len(LANGUAGES),
    ]
    for name, result in results.items():
        figures = (
            f"| **{name}** | {result['training_s']:.0f} | {result['ratio']:.2f} | {result['model_mb']:.1f} "
            f"| {result['latency']['p50_ms']:.1f} / {result['latency']['p99_ms']:.1f} "
        )
        for label, key in (("held-out", "heldout"), ("independent", "independent")):
            per_language = result.get(key) or {}
            cells = [
                f"{cell((per_language.get(lang) or {}).get('intent_f1'))} / "
                f"{cell((per_language.get(lang) or {}).get('location_f1'))}"
                for lang in LANGUAGES
            ]
            lines.append(figures + f"| {label} | " + " | ".join(cells) + " |")
            figures = "| | | | | "
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pipelines", nargs="+", default=list(CONFIGS), choices=list(CONFIGS))
    parser.add_argument("--per-language", type=int, default=200, help="messages per language for latency")
    parser.add_argument("--repeat", type=int, default=1, help="trainings per pipeline (the median is kept)")
    args = parser.parse_args()
    names = list(dict.fromkeys([BASELINE, *args.pipelines]))
    timings: dict[str, list[float]] = {name: [] for name in names}
    # Rounds of every pipeline in turn, so that a slow spell of the machine hits all of them.
    for round_ in range(args.repeat):
        for name in names:
            seconds = train(name)
            timings[name].append(seconds)
            print(f"round {round_ + 1}: {name} trained in {seconds:.1f} s", flush=True)
    results: dict[str, dict[str, Any]] = {}
    baseline = sorted(timings[BASELINE])[len(timings[BASELINE]) // 2]
    for name in names:
        median = sorted(timings[name])[len(timings[name]) // 2]
        model = ROOT / "models" / f"bench-{name}.tar.gz"
        results[name] = {
            "training_s": median,
            "training_runs_s": [round(t, 1) for t in timings[name]],
            "ratio": median / baseline,
            "model_mb": model.stat().st_size / 1e6,
            "latency": latency(name, args.per_language),
            "heldout": scores(ROOT / "reports" / "nlu", name),
            "independent": scores(ROOT / "reports" / "nlu" / "independent", name),
        }
        print(
            f"{name}: training {median:.1f} s (x{results[name]['ratio']:.2f}), "
            f"model {results[name]['model_mb']:.1f} MB, parse p99 {results[name]['latency']['p99_ms']} ms",
            flush=True,
        )
    print(table(results))
    out = ROOT / "bench" / "results" / "nlu_pipelines.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"cores": os.cpu_count(), "pipelines": results}, indent=2))
    print(f"written {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
