"""Read the Rasa training examples of data/nlu/ (annotations removed), by language and intent."""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
# [text](entity) or [text]{"entity": ...}
_ANNOTATION = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\{[^}]*\})")


def plain(example: str) -> str:
    return _ANNOTATION.sub(r"\1", example)


def examples_by_language(folder: Path = ROOT / "data" / "nlu") -> dict[str, dict[str, list[str]]]:
    """{language: {intent: [plain texts]}} from files named <language>.yml."""
    found: dict[str, dict[str, list[str]]] = {}
    for path in sorted(folder.glob("*.yml")):
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        intents: dict[str, list[str]] = defaultdict(list)
        for block in document.get("nlu") or []:
            if "intent" not in block:
                continue
            for line in str(block.get("examples", "")).splitlines():
                line = line.strip()
                if line.startswith("- "):
                    intents[block["intent"]].append(plain(line[2:].strip()))
        if intents:
            found[path.stem] = dict(intents)
    return found
