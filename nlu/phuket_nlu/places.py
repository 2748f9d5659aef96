"""Place names from data/places: words the segmenters keep whole, names the tokenizer tags."""

from __future__ import annotations

import json
import logging
import unicodedata
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Set, Tuple

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


_THAI_TONE_MARKS = frozenset("\u0e48\u0e49\u0e4a\u0e4b")
# Written between the words of a name or not at all: "Kata Noi", "Kata-Noi", "KataNoi".
_SEPARATORS = frozenset(" \t\n-'’.·・")
_CYRILLIC_VOWELS = frozenset("аеёиоуыэюя")
# Russian inflects names (Патонг, на Патонге, с Патонга; Ката, у Каты, с Катой): one of these
# case endings may follow a Russian name, in place of its final vowel if it has one.
_CYRILLIC_ENDINGS = ("", "а", "я", "у", "ю", "е", "ы", "и", "ой", "ей", "ом", "ем", "ою", "ею")
_END = ""


def _is_spaced_letter(char: str) -> bool:
    """A letter of a script that separates words with spaces (Latin, Cyrillic)."""
    return char.isalpha() and char <= "\u04ff"


def _is_cyrillic(char: str) -> bool:
    return "\u0400" <= char <= "\u04ff"


def _fold(text: str) -> Tuple[str, List[int]]:
    """Casefold; drop Thai tone marks (often left out) and separators; `origin[i]` indexes `text`."""
    folded: List[str] = []
    origin: List[int] = []
    for index, char in enumerate(text):
        if char in _THAI_TONE_MARKS or char in _SEPARATORS:
            continue
        for piece in unicodedata.normalize("NFKC", char).casefold():
            folded.append(piece)
            origin.append(index)
    return "".join(folded), origin


class PlaceNameFinder:
    """Finds the place names of the gazetteer in a message, in any script and common spelling.

    The tokenizer tags the words of a found name, so that the entity extractor can tell a
    known place from any other word even in a phrasing it never saw (a gazetteer feature).
    A Latin or Cyrillic name must not be glued to other letters of those scripts; Thai, Chinese,
    Japanese and Korean names may sit between other letters. Longest names win.
    """

    def __init__(self, names: Iterable[str]) -> None:
        # A character trie of the folded names; a node's _END entry says whether the name
        # there is one of a spaced script (which needs word boundaries) and Russian.
        self._trie: Dict[str, Any] = {}
        for name in names:
            folded, _ = _fold(name.strip())
            if not folded:
                continue
            spaced = any(_is_spaced_letter(char) for char in folded)
            russian = any(_is_cyrillic(char) for char in folded)
            if russian and folded[-1] in _CYRILLIC_VOWELS and len(folded) > 3:
                folded = folded[:-1]
            node = self._trie
            for char in folded:
                node = node.setdefault(char, {})
            node[_END] = (spaced, russian)

    def spans(self, text: str) -> List[Tuple[int, int]]:
        """[start, end) of every place name in `text`, as offsets of `text` itself."""
        if not self._trie or not text:
            return []
        folded, origin = _fold(text)
        lowered = text.casefold() if len(text.casefold()) == len(text) else text
        found: List[Tuple[int, int]] = []
        position = 0
        while position < len(folded):
            end = self._longest_match(folded, origin, lowered, position)
            if end is None:
                position += 1
                continue
            found.append((origin[position], origin[end - 1] + 1))
            position = end
        return found

    def _longest_match(self, folded: str, origin: List[int], lowered: str, start: int) -> Optional[int]:
        before = lowered[origin[start] - 1] if origin[start] > 0 else " "
        best: Optional[int] = None
        node = self._trie
        position = start
        while position < len(folded) and folded[position] in node:
            node = node[folded[position]]
            position += 1
            if _END in node:
                spaced, russian = node[_END]
                end = self._boundary(folded, origin, lowered, position, russian) if spaced else position
                if end is not None and not (spaced and _is_spaced_letter(before)):
                    best = end
        return best

    @staticmethod
    def _boundary(folded: str, origin: List[int], lowered: str, end: int, russian: bool) -> Optional[int]:
        """Where a spaced-script name ending at `end` really ends, or None if glued to a word."""
        for ending in _CYRILLIC_ENDINGS if russian else ("",):
            stop = end + len(ending)
            if folded[end:stop] != ending:
                continue
            after = origin[stop - 1] + 1
            if after >= len(lowered) or not _is_spaced_letter(lowered[after]):
                return stop
        return None
