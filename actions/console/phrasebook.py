"""The responders' phrasebook: ids from `data/console/phrasebook.yml`, texts from the catalogs."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

PHRASEBOOK = Path(__file__).resolve().parents[2] / "data" / "console" / "phrasebook.yml"


def phrase_key(phrase_id: str) -> str:
    """The catalog msgid of a phrase."""
    return f"phrase.{phrase_id}"


def load_phrasebook(path: Path = PHRASEBOOK) -> tuple[str, ...]:
    """The phrase ids in the order the console offers them.

    Raises:
        ValueError: the file is not a list of distinct ids under `phrases`.
    """
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    ids = data.get("phrases") if isinstance(data, dict) else None
    if not isinstance(ids, list) or not all(isinstance(i, str) and i for i in ids):
        raise ValueError(f"{path}: expected `phrases:` with a list of phrase ids")
    if len(set(ids)) != len(ids):
        raise ValueError(f"{path}: a phrase id is listed twice")
    return tuple(ids)


@lru_cache(maxsize=1)
def default_phrasebook() -> tuple[str, ...]:
    return load_phrasebook()
