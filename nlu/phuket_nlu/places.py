"""Words the segmenters must keep whole: place names from data/places and entity values."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Dict, Iterable, List, Set

from phuket_nlu.segmentation import script_of

logger = logging.getLogger(__name__)


def _names_in(path: Path) -> Iterable[str]:
    collection = json.loads(path.read_text(encoding="utf-8"))
    for feature in collection.get("features", []):
        props = feature.get("properties") or {}
        yield from (props.get("names") or {}).values()
        yield from props.get("aliases") or ()


def place_names(paths: Iterable[Path]) -> List[str]:
    names: Set[str] = set()
    for path in paths:
        files = sorted(path.glob("*.geojson")) if path.is_dir() else [path]
        for file in files:
            names.update(name.strip() for name in _names_in(file) if name and name.strip())
    logger.info("place dictionary: %d names", len(names))
    return sorted(names)


def by_script(words: Iterable[str]) -> Dict[str, List[str]]:
    """Split words into the dictionaries of the segmenters that need them (spaces removed)."""
    groups: Dict[str, Set[str]] = {"thai": set(), "han": set(), "japanese": set()}
    for word in words:
        script = script_of(word)
        if script is None:
            continue
        compact = "".join(word.split())
        groups[script].add(compact)
        if script == "han":
            # Kanji place names appear in Japanese messages too.
            groups["japanese"].add(compact)
    return {script: sorted(values) for script, values in groups.items()}
