"""Offset-preserving normalization: every normalized character remembers where it came from.

Tokens are segmented on the normalized text and mapped back, so entity offsets always index the
original message exactly, whatever was folded, dropped or collapsed.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import cached_property
from typing import FrozenSet, List, Tuple

ZERO_WIDTH = frozenset("\u200b\u200c\u200d\u2060\ufeff\u00ad")
_THAI_FIRST, _THAI_LAST = "\u0e00", "\u0e7f"
# A letter repeated this many times or more is stretched for emphasis ("ช่วยยยยย", "heeeelp").
REPEAT_RUN = 3


def is_thai(ch: str) -> bool:
    return _THAI_FIRST <= ch <= _THAI_LAST


@dataclass(frozen=True)
class NormalizedText:
    """`text` is the normalized string; `origin[i]` is the index in `original` of `text[i]`."""

    text: str
    origin: List[int]
    original: str

    def original_span(self, start: int, end: int) -> Tuple[int, int]:
        """The original [start, end) that normalized [start, end) came from.

        Characters dropped right after the token (the rest of a stretched "ยยยย", a zero-width
        joiner) belong to it, so the span covers what the user typed, never whitespace.
        """
        first = self.origin[start]
        stop = self.origin[end - 1] + 1
        kept = self._kept
        while stop < len(self.original) and stop not in kept and not self.original[stop].isspace():
            stop += 1
        return first, stop

    @cached_property
    def _kept(self) -> FrozenSet[int]:
        return frozenset(self.origin)


def _fold_char(ch: str) -> str:
    """Compatibility-fold full-width and other presentation forms; leave Thai alone.

    NFKC would split Thai SARA AM into two characters, which the Thai dictionary does not expect.
    """
    if is_thai(ch) or ch.isascii():
        return ch
    return unicodedata.normalize("NFKC", ch)


def normalize(text: str) -> NormalizedText:
    chars: List[str] = []
    origin: List[int] = []
    run_char, run_length = "", 0
    for index, ch in enumerate(text):
        if ch in ZERO_WIDTH:
            continue
        for folded in _fold_char(ch):
            if folded == run_char and folded.isalpha():
                run_length += 1
                if run_length >= REPEAT_RUN:
                    if run_length == REPEAT_RUN:
                        # Collapse the whole run to one character: drop the second one too.
                        chars.pop()
                        origin.pop()
                    continue
            else:
                run_char, run_length = folded, 1
            chars.append(folded)
            origin.append(index)
    return NormalizedText("".join(chars), origin, text)
