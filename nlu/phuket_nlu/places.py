"""Place names from data/places: words the segmenters keep whole, names the tokenizer tags."""

from __future__ import annotations

import json
import logging
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Optional, Set, Tuple

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


def _is_katakana(char: str) -> bool:
    return "\u30a0" <= char <= "\u30ff"


@dataclass(frozen=True)
class _Rule:
    """How a name sits in text: the letters it must not be glued to, the endings it may take."""

    glued: Optional[Callable[[str], bool]]
    endings: Tuple[str, ...] = ("",)

    @classmethod
    def of(cls, folded: str) -> Tuple[str, _Rule]:
        """The part of the name to look for, and its rule."""
        if all(_is_katakana(char) for char in folded):
            # A katakana word runs until the katakana stop: "カタ" is Kata in カタの病院, not in カタログ.
            return folded, cls(_is_katakana)
        if not any(_is_spaced_letter(char) for char in folded):
            # Thai, Chinese and Korean names sit between other letters without spaces.
            return folded, cls(None)
        if any(_is_cyrillic(char) for char in folded):
            if folded[-1] in _CYRILLIC_VOWELS and len(folded) > 3:
                return folded[:-1], cls(_is_spaced_letter, (folded[-1], *_CYRILLIC_ENDINGS))
            return folded, cls(_is_spaced_letter, _CYRILLIC_ENDINGS)
        return folded, cls(_is_spaced_letter)


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
    A Latin or Cyrillic name must not be glued to other letters of those scripts, nor a katakana
    name to other katakana; Thai, Chinese and Korean names may sit between other letters. Russian
    names take case endings. Longest names win.
    """

    def __init__(self, names: Iterable[str]) -> None:
        # A character trie of the folded names; a node's _END entry is the rule of the name there.
        self._trie: Dict[str, Any] = {}
        for name in names:
            folded, _ = _fold(name.strip())
            if not folded:
                continue
            key, rule = _Rule.of(folded)
            node = self._trie
            for char in key:
                node = node.setdefault(char, {})
            node[_END] = rule

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
            rule: Optional[_Rule] = node.get(_END)
            if rule is None:
                continue
            if rule.glued is None:
                best = position
            elif not rule.glued(before):
                best = self._boundary(folded, origin, lowered, position, rule) or best
        return best

    @staticmethod
    def _boundary(folded: str, origin: List[int], lowered: str, end: int, rule: _Rule) -> Optional[int]:
        """Where a name found up to `end` really ends (with its ending), or None if glued to a word."""
        glued = rule.glued
        assert glued is not None
        for ending in rule.endings:
            stop = end + len(ending)
            if folded[end:stop] != ending:
                continue
            after = origin[stop - 1] + 1
            if after >= len(lowered) or not glued(lowered[after]):
                return stop
        return None
