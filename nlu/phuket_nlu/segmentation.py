"""Split mixed-script text into words: Thai by pythainlp, Chinese by jieba, Japanese by Janome,
everything else on whitespace and punctuation. Offsets refer to the original text.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Callable, Iterable, List, Optional, Sequence

from phuket_nlu.normalization import ZERO_WIDTH, NormalizedText, normalize

logger = logging.getLogger(__name__)

# Script runs. Thai includes its digits and ๆ; "cjk" includes kana so Japanese stays whole.
_THAI = "\u0e00-\u0e7f"
_CJK = "\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# A letter or digit of any other script (Latin, Cyrillic, Hangul, ...).
_OTHER = rf"[^\W_{_THAI}{_CJK}]"
_RUNS = re.compile(
    rf"(?P<thai>[{_THAI}]+)"
    rf"|(?P<cjk>[{_CJK}]+)"
    rf"|(?P<word>[#@]?{_OTHER}(?:{_OTHER}|[\-'’.](?={_OTHER}))*)"
    r"|(?P<symbol>[\U0001F000-\U0001FAFF\u2600-\u27bf\u2b00-\u2bff])",
    re.UNICODE,
)
_KANA = re.compile(r"[\u3040-\u30ff]")
_PUNCTUATION_ONLY = re.compile(r"^[\W_]+$", re.UNICODE)


@dataclass(frozen=True)
class Word:
    """A token: `text` is normalized, [start, end) indexes the original message."""

    text: str
    start: int
    end: int


Segmenter = Callable[[str], List[str]]


def _offsets(pieces: Iterable[str], run: str) -> Iterable[tuple[str, int, int]]:
    """Locate consecutive pieces of `run`, skipping anything a segmenter dropped."""
    position = 0
    for piece in pieces:
        if not piece or piece.isspace():
            continue
        found = run.find(piece, position)
        if found < 0:
            logger.debug("segment %r not found in %r after %d", piece, run, position)
            continue
        position = found + len(piece)
        yield piece, found, position


class MixedScriptSegmenter:
    """Segments text of any of our eight languages; the segmenters are injected for testing."""

    def __init__(self, thai: Segmenter, chinese: Segmenter, japanese: Segmenter) -> None:
        self._thai = thai
        self._chinese = chinese
        self._japanese = japanese

    def segment(self, text: str) -> List[Word]:
        normalized = normalize(text)
        japanese = bool(_KANA.search(normalized.text))
        words: List[Word] = []
        for match in _RUNS.finditer(normalized.text):
            kind = match.lastgroup
            run = match.group()
            if kind == "thai":
                pieces = self._thai(run)
            elif kind == "cjk":
                pieces = self._japanese(run) if japanese else self._chinese(run)
            else:
                pieces = [run]
            for piece, start, end in _offsets(pieces, run):
                if _PUNCTUATION_ONLY.match(piece) and kind != "symbol":
                    continue
                words.append(self._word(normalized, piece, match.start() + start, match.start() + end))
        if not words:
            # Only punctuation or symbols (":)", "???"): keep them rather than an empty message.
            words = [
                Word(m.group(), m.start(), m.end())
                for m in re.finditer(r"\S+", text)
                if not set(m.group()) <= ZERO_WIDTH
            ]
        return words

    @staticmethod
    def _word(normalized: NormalizedText, piece: str, start: int, end: int) -> Word:
        original_start, original_end = normalized.original_span(start, end)
        return Word(piece, original_start, original_end)


def thai_segmenter(dictionary_words: Sequence[str]) -> Segmenter:
    """pythainlp's newmm with its own word list plus our words (place names, entity values)."""
    from pythainlp.corpus import thai_words
    from pythainlp.tokenize import Trie, word_tokenize
    from pythainlp.util import normalize as thai_normalize

    trie = Trie(set(thai_words()) | {w for w in dictionary_words if w})

    def segment(run: str) -> List[str]:
        # pythainlp's normalize fixes the order of tone marks and vowels typed in any order;
        # it only reorders within a character cluster, so fall back to the raw run if the
        # length changes and offsets could no longer be found.
        fixed = thai_normalize(run)
        text = fixed if len(fixed) == len(run) else run
        pieces = word_tokenize(text, custom_dict=trie, engine="newmm", keep_whitespace=False)
        if text is run:
            return pieces
        # Map pieces of the normalized run back onto the raw run by length.
        raw: List[str] = []
        position = 0
        for piece in pieces:
            raw.append(run[position : position + len(piece)])
            position += len(piece)
        return raw

    return segment


def chinese_segmenter(dictionary_words: Sequence[str]) -> Segmenter:
    import jieba

    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    for word in dictionary_words:
        if word:
            tokenizer.add_word(word, freq=100_000)

    def segment(run: str) -> List[str]:
        return tokenizer.lcut(run, HMM=True)

    return segment


def japanese_segmenter(dictionary_words: Sequence[str]) -> Segmenter:
    from janome.tokenizer import Tokenizer

    tokenizer = Tokenizer(wakati=True)
    places = sorted({w for w in dictionary_words if w}, key=len, reverse=True)
    place_pattern = re.compile("|".join(re.escape(p) for p in places)) if places else None

    def segment(run: str) -> List[str]:
        # Janome's bundled IPADIC does not know Phuket's katakana place names: keep them whole.
        pieces: List[str] = []
        position = 0
        for match in place_pattern.finditer(run) if place_pattern else ():
            if match.start() > position:
                pieces.extend(tokenizer.tokenize(run[position : match.start()], wakati=True))
            pieces.append(match.group())
            position = match.end()
        if position < len(run):
            pieces.extend(tokenizer.tokenize(run[position:], wakati=True))
        return [str(piece) for piece in pieces]

    return segment


def default_segmenter(
    thai_words: Sequence[str] = (),
    chinese_words: Sequence[str] = (),
    japanese_words: Sequence[str] = (),
) -> MixedScriptSegmenter:
    return MixedScriptSegmenter(
        thai_segmenter(thai_words), chinese_segmenter(chinese_words), japanese_segmenter(japanese_words)
    )


def script_of(word: str) -> Optional[str]:
    if re.search(r"[\u0e00-\u0e7f]", word):
        return "thai"
    if _KANA.search(word):
        return "japanese"
    if re.search(r"[\u3400-\u9fff]", word):
        return "han"
    return None
