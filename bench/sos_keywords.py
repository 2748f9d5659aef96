"""How many of our own SOS examples the degraded-mode keyword detector catches (and false alarms).

Prints a table per language and writes bench/results/sos_keywords.json. Not a test: no assertions.
Run: .venv/bin/python bench/sos_keywords.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.nlu_data import ROOT, examples_by_language
from bot.dialogue.emergency_keywords import detect_emergency
from bot.dialogue.understanding import _OVERRIDABLE


def main() -> None:
    results = {}
    print(f"{'lang':5} {'SOS caught':>14} {'rate':>6}   {'other intents as SOS':>21}   {'overruled':>12}")
    for language, intents in examples_by_language().items():
        sos = intents.get("report_emergency", [])
        others = [text for intent, texts in intents.items() if intent != "report_emergency" for text in texts]
        caught = [text for text in sos if detect_emergency(text)]
        missed = [text for text in sos if not detect_emergency(text)]
        false_alarms = [text for text in others if detect_emergency(text)]
        # With the NLU up, keywords only overrule these intents (bot/dialogue/understanding.py).
        overridable = [text for intent, texts in intents.items() if intent in _OVERRIDABLE for text in texts]
        overruled = [text for text in overridable if detect_emergency(text)]
        results[language] = {
            "sos_examples": len(sos),
            "caught": len(caught),
            "catch_rate": round(len(caught) / len(sos), 3) if sos else None,
            "other_examples": len(others),
            "false_alarms": len(false_alarms),
            "false_alarm_rate": round(len(false_alarms) / len(others), 3) if others else None,
            "overridable_examples": len(overridable),
            "overruled_to_sos": len(overruled),
            "overruled": overruled,
            "missed": missed,
        }
        rate = len(caught) / len(sos) if sos else 0
        fa = len(false_alarms) / len(others) if others else 0
        print(
            f"{language:5} {len(caught):>6}/{len(sos):<7} {rate:6.1%}   "
            f"{len(false_alarms):>6}/{len(others):<6} {fa:6.1%}   {len(overruled):>4}/{len(overridable):<4}"
        )
    total_sos = sum(r["sos_examples"] for r in results.values())
    total_caught = sum(r["caught"] for r in results.values())
    print(f"{'all':5} {total_caught:>6}/{total_sos:<7} {total_caught / total_sos:6.1%}")
    out = ROOT / "bench" / "results" / "sos_keywords.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    print(f"written {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
