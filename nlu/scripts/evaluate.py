"""Held-out evaluation of the NLU model, per language, for our pipeline and Rasa's stock one.

Splits every language file of data/nlu/ into train/test (stratified by intent, seeded; the test
part is never trained on), trains each pipeline on the train part, parses the test part and writes
reports/nlu/: summary.json, summary.md (the table for the README), per pipeline and language the
intent report and a confusion matrix PNG. Run with `make nlu-eval`.

With --test-dir it trains on all of data/nlu and tests on messages written apart from the training
data (nlu/tests/independent/: `make nlu-eval-independent` -> reports/nlu/independent/).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import random
import shutil
import sys
import time
import unicodedata
from collections import defaultdict
from pathlib import Path
from typing import Dict, List, Tuple

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "nlu"))

logger = logging.getLogger("nlu-eval")

PIPELINES = {
    "ours": ROOT / "nlu" / "config.yml",
    "stock": ROOT / "nlu" / "config_stock.yml",
    # The alternatives measured against ours (README: "NLU pipelines compared").
    **{path.stem: path for path in sorted((ROOT / "nlu" / "candidates").glob("*.yml"))},
}
LANGUAGES = ["th", "en", "zh", "ru", "ko", "ja", "de", "fr"]
TARGETS = {"th": 0.95, "en": 0.95, "zh": 0.95, "ru": 0.95, "ko": 0.90, "ja": 0.90, "de": 0.90, "fr": 0.90}


def split(test_fraction: float, seed: int, out: Path) -> Tuple[Path, Dict[str, List]]:
    """Write the train part as Rasa YAML; return its folder and the test messages per language."""
    from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLWriter
    from rasa.shared.nlu.training_data.loading import load_data
    from rasa.shared.nlu.training_data.training_data import TrainingData

    train_dir = out / "split" / "train"
    test_dir = out / "split" / "test"
    for folder in (train_dir, test_dir):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
    tests: Dict[str, List] = {}
    rng = random.Random(seed)
    for path in sorted((ROOT / "data" / "nlu").glob("*.yml")):
        data = load_data(str(path))
        if path.stem not in LANGUAGES:
            shutil.copy(path, train_dir / path.name)  # regexes and lookups: training only
            continue
        by_intent: Dict[str, List] = defaultdict(list)
        for example in data.intent_examples:
            by_intent[example.get("intent")].append(example)
        train, test = [], []
        for intent in sorted(by_intent):
            examples = by_intent[intent][:]
            rng.shuffle(examples)
            cut = max(1, round(len(examples) * test_fraction))
            test += examples[:cut]
            train += examples[cut:]
        kept = TrainingData(
            train,
            entity_synonyms=data.entity_synonyms,
            regex_features=data.regex_features,
            lookup_tables=data.lookup_tables,
        )
        RasaYAMLWriter().dump(train_dir / path.name, kept)
        RasaYAMLWriter().dump(test_dir / path.name, TrainingData(test))
        tests[path.stem] = test
    return train_dir, tests


def independent(test_dir: Path) -> Tuple[Path, Dict[str, List]]:
    """Train on all of data/nlu; test on the files of `test_dir`, written apart from the training data."""
    from rasa.shared.nlu.training_data.loading import load_data

    train_dir = ROOT / "data" / "nlu"
    trained = {
        same_text(e.get("text"))
        for path in train_dir.glob("*.yml")
        for e in load_data(str(path)).intent_examples
    }
    tests = {
        language: load_data(str(test_dir / f"{language}.yml")).intent_examples
        for language in LANGUAGES
        if (test_dir / f"{language}.yml").exists()
    }
    for examples in tests.values():
        for example in examples:
            # Short messages ("ok", "thanks") are often word for word in the training data too:
            # the scores are also given for the messages that are not.
            example.set(SEEN, same_text(example.get("text")) in trained)
    return train_dir, tests


SEEN = "seen_in_training"


def same_text(text: str) -> str:
    """Text compared without case, spaces and punctuation."""
    folded = unicodedata.normalize("NFKC", text).lower()
    return "".join(c for c in folded if not c.isspace() and not unicodedata.category(c).startswith("P"))


def train(config: Path, train_dir: Path, out: Path, name: str) -> Tuple[Path, float]:
    from rasa.model_training import train_nlu

    start = time.monotonic()
    model = train_nlu(str(config), str(train_dir), str(out), fixed_model_name=name)
    return Path(str(model)), time.monotonic() - start


def entity_f1(gold: List[List[dict]], predicted: List[List[dict]]) -> Dict[str, dict]:
    """Exact-span entity scores per entity type (value-normalized spans count once)."""
    counts: Dict[str, Dict[str, int]] = defaultdict(lambda: {"tp": 0, "fp": 0, "fn": 0})
    for gold_entities, predicted_entities in zip(gold, predicted, strict=False):
        gold_set = {(e["entity"], e["start"], e["end"]) for e in gold_entities}
        pred_set = {(e["entity"], e["start"], e["end"]) for e in predicted_entities}
        for entity, _, _ in gold_set & pred_set:
            counts[entity]["tp"] += 1
        for entity, _, _ in pred_set - gold_set:
            counts[entity]["fp"] += 1
        for entity, _, _ in gold_set - pred_set:
            counts[entity]["fn"] += 1
    scores = {}
    for entity, c in sorted(counts.items()):
        precision = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else 0.0
        recall = c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        scores[entity] = {"precision": precision, "recall": recall, "f1": f1, "support": c["tp"] + c["fn"]}
    return scores


def confusion_png(labels: List[str], gold: List[str], predicted: List[str], title: str, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import ConfusionMatrixDisplay

    figure, axes = plt.subplots(figsize=(11, 10))
    ConfusionMatrixDisplay.from_predictions(
        gold, predicted, labels=labels, ax=axes, xticks_rotation="vertical", colorbar=False
    )
    axes.set_title(title)
    figure.tight_layout()
    figure.savefig(path, dpi=80)
    plt.close(figure)


async def evaluate_model(model: Path, tests: Dict[str, List], out: Path, pipeline: str) -> Dict[str, dict]:
    from rasa.core.agent import Agent
    from sklearn.metrics import classification_report, f1_score

    agent = Agent.load(str(model))
    results: Dict[str, dict] = {}
    for language, examples in tests.items():
        gold_intents, predicted_intents, gold_entities, predicted_entities = [], [], [], []
        languages_found, confidences = [], []
        for example in examples:
            parsed = await agent.parse_message(example.get("text"))
            gold_intents.append(example.get("intent"))
            predicted_intents.append(parsed["intent"]["name"] or "None")
            gold_entities.append(example.get("entities") or [])
            predicted_entities.append(parsed.get("entities") or [])
            languages_found.append((parsed.get("language") or {}).get("code"))
            # The classifier's own top intent and confidence, before the fallback replaced it.
            ranking = parsed.get("intent_ranking") or [parsed["intent"]]
            top = next((r for r in ranking if r["name"] != "nlu_fallback"), parsed["intent"])
            confidences.append((top["name"] == example.get("intent"), float(top["confidence"] or 0)))
        labels = sorted(set(gold_intents))
        folder = out / pipeline / language
        folder.mkdir(parents=True, exist_ok=True)
        report = classification_report(
            gold_intents, predicted_intents, labels=labels, output_dict=True, zero_division=0
        )
        (folder / "intent_report.json").write_text(json.dumps(report, indent=2))
        errors = [
            {"text": e.get("text"), "intent": g, "predicted": p}
            for e, g, p in zip(examples, gold_intents, predicted_intents, strict=False)
            if g != p
        ]
        (folder / "intent_errors.json").write_text(json.dumps(errors, ensure_ascii=False, indent=2))
        confusion_png(
            [*labels, "nlu_fallback"],
            gold_intents,
            predicted_intents,
            f"{pipeline} – {language}",
            folder / "confusion_matrix.png",
        )
        entities = entity_f1(gold_entities, predicted_entities)
        language_id = (
            sum(1 for code in languages_found if code == language) / len(languages_found)
            if pipeline == "ours"
            else None
        )
        unseen = [i for i, e in enumerate(examples) if e.get(SEEN) is False]
        results[language] = {
            "examples": len(examples),
            "unseen_examples": len(unseen) if unseen else None,
            "intent_macro_f1_unseen": f1_score(
                [gold_intents[i] for i in unseen],
                [predicted_intents[i] for i in unseen],
                labels=sorted({gold_intents[i] for i in unseen}),
                average="macro",
                zero_division=0,
            )
            if unseen
            else None,
            "intent_macro_f1": f1_score(
                gold_intents, predicted_intents, labels=labels, average="macro", zero_division=0
            ),
            "intent_accuracy": sum(g == p for g, p in zip(gold_intents, predicted_intents, strict=False))
            / len(examples),
            "entity_f1": entities,
            "language_id_accuracy": language_id,
            "confidences": confidences,
        }
    return results


def thresholds(summary: dict) -> List[dict]:
    """For each fallback threshold: correct answers kept and wrong ones caught, over all languages."""
    pairs = [
        pair
        for result in summary["pipelines"]["ours"]["languages"].values()
        for pair in result.pop("confidences")
    ]
    for pipeline in summary["pipelines"].values():
        for result in pipeline["languages"].values():
            result.pop("confidences", None)
    correct = [c for ok, c in pairs if ok]
    wrong = [c for ok, c in pairs if not ok]
    rows = []
    for step in range(20, 95, 5):
        threshold = step / 100
        rows.append(
            {
                "threshold": threshold,
                "correct_kept": sum(c >= threshold for c in correct) / max(1, len(correct)),
                "wrong_caught": sum(c < threshold for c in wrong) / max(1, len(wrong)),
            }
        )
    return rows


def comparison_table(summary: dict) -> str:
    """Intent macro-F1 and location F1 per language, one pair of columns per pipeline."""
    names = list(summary["pipelines"])
    lines = [
        "| language | " + " | ".join(f"{n}: intent F1 | {n}: location F1" for n in names) + " |",
        "|---|" + "---|---|" * len(names),
    ]
    for language in LANGUAGES:
        cells = []
        for name in names:
            result = summary["pipelines"][name]["languages"].get(language)
            if result is None:
                cells += ["–", "–"]
                continue
            location = result["entity_f1"].get("location", {}).get("f1")
            cells += [f"{result['intent_macro_f1']:.3f}", f"{location:.3f}" if location is not None else "–"]
        lines.append(f"| {language} | " + " | ".join(cells) + " |")
    lines.append(
        "| training (s) | "
        + " | ".join(f"{summary['pipelines'][n]['training_seconds']:.0f} | " for n in names)
        + "|"
    )
    return "\n".join(lines)


def table(summary: dict) -> str:
    entities = ["incident_type", "location", "language", "case_id"]
    lines = [
        "| language | test examples | intent macro-F1 (ours) | intent macro-F1 (stock) | target | "
        + " | ".join(f"{e} F1 (ours / stock)" for e in entities)
        + " | language id (ours) |",
        "|---|---|---|---|---|" + "---|" * len(entities) + "---|",
    ]
    with_unseen = any(r.get("unseen_examples") for r in summary["pipelines"]["ours"]["languages"].values())
    if with_unseen:
        lines[0] += " texts not in the training data: examples, intent macro-F1 (ours / stock) |"
        lines[1] += "---|"
    for language in LANGUAGES:
        ours = summary["pipelines"]["ours"]["languages"].get(language)
        stock = summary["pipelines"].get("stock", {}).get("languages", {}).get(language)
        if not ours:
            continue
        cells = []
        for entity in entities:
            o = ours["entity_f1"].get(entity, {}).get("f1")
            s = (stock or {}).get("entity_f1", {}).get(entity, {}).get("f1")
            cells.append(
                f"{o:.3f} / {s:.3f}"
                if o is not None and s is not None
                else (f"{o:.3f}" if o is not None else "–")
            )
        stock_f1 = f"{stock['intent_macro_f1']:.3f}" if stock else "–"
        mark = "✅" if ours["intent_macro_f1"] >= TARGETS[language] else "❌"
        lines.append(
            f"| {language} | {ours['examples']} | {ours['intent_macro_f1']:.3f} {mark} | {stock_f1} "
            f"| {TARGETS[language]:.2f} | " + " | ".join(cells) + f" | {ours['language_id_accuracy']:.3f} |"
        )
        if with_unseen:
            stock_unseen = f"{stock['intent_macro_f1_unseen']:.3f}" if stock else "–"
            lines[-1] += (
                f" {ours['unseen_examples']}: {ours['intent_macro_f1_unseen']:.3f} / {stock_unseen} |"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT / "reports" / "nlu")
    parser.add_argument("--test-fraction", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument(
        "--pipelines",
        nargs="+",
        default=list(PIPELINES),
        help=f"names of {sorted(PIPELINES)}, or name=path/to/config.yml to try another configuration",
    )
    parser.add_argument(
        "--test-dir",
        type=Path,
        help="test on <dir>/<language>.yml after training on all of data/nlu, instead of a held-out split",
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    logging.getLogger("rasa").setLevel(logging.WARNING)
    args.out.mkdir(parents=True, exist_ok=True)
    if args.test_dir:
        train_dir, tests = independent(args.test_dir)
        summary: dict = {"test_dir": str(args.test_dir), "pipelines": {}}
    else:
        train_dir, tests = split(args.test_fraction, args.seed, args.out)
        summary = {"test_fraction": args.test_fraction, "seed": args.seed, "pipelines": {}}
    for choice in args.pipelines:
        pipeline, _, path = choice.partition("=")
        config = Path(path) if path else PIPELINES[pipeline]
        logger.info("training the %s pipeline", pipeline)
        model, seconds = train(config, train_dir, args.out / "models", pipeline)
        logger.info("trained %s in %.0f s; evaluating", pipeline, seconds)
        languages = asyncio.run(evaluate_model(model, tests, args.out, pipeline))
        summary["pipelines"][pipeline] = {"training_seconds": round(seconds, 1), "languages": languages}
    if "ours" in summary["pipelines"]:
        summary["fallback_thresholds"] = thresholds(summary)
    for result in summary["pipelines"].values():
        for language in result["languages"].values():
            language.pop("confidences", None)
    (args.out / "summary.json").write_text(json.dumps(summary, indent=2))
    markdown = table(summary) if "ours" in summary["pipelines"] else ""
    if set(summary["pipelines"]) - {"ours", "stock"}:
        markdown += "\n\n" + comparison_table(summary)
    (args.out / "summary.md").write_text(markdown + "\n")
    print(markdown)
    for pipeline, result in summary["pipelines"].items():
        print(f"{pipeline}: training {result['training_seconds']:.0f} s")
    print("fallback threshold: correct kept / wrong caught (test messages, all languages)")
    for row in summary.get("fallback_thresholds", []):
        print(f"  {row['threshold']:.2f}: {row['correct_kept']:.3f} / {row['wrong_caught']:.3f}")


if __name__ == "__main__":
    main()
