"""The training data stays fast to load: entity annotations in Rasa's short form only.

Rasa validates every annotation written as JSON (`[FEUER]{"entity": "incident_type", "value": "fire"}`)
against a JSON schema, re-checking the schema itself each time: 1,600 of them took 7 of the 11 s
of each of the two loadings of a training. `[FEUER](incident_type:fire)` means the same.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FILES = sorted((ROOT / "data" / "nlu").glob("*.yml")) + sorted(
    (ROOT / "nlu" / "tests" / "independent").glob("*.yml")
)
JSON_ANNOTATION = re.compile(r"\]\{\s*\"entity\"")


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_annotations_use_the_short_form(path: Path) -> None:
    lines = [
        f"{number}: {line.strip()}"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if JSON_ANNOTATION.search(line)
    ]
    assert lines == [], "write [text](entity:value) instead of [text]{...}"


def test_the_short_form_gives_what_the_json_form_gives() -> None:
    from rasa.shared.nlu.training_data.entities_parser import find_entities_in_training_example

    short = find_entities_in_training_example("[FEUER](incident_type:fire) in [Patong](location)")
    written_as_json = find_entities_in_training_example(
        '[FEUER]{"entity": "incident_type", "value": "fire"} in [Patong](location)'
    )
    assert short == written_as_json
    assert short[0]["value"] == "fire" and short[1]["value"] == "Patong"
