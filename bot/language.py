"""Guess a message's language from its script, for when the NLU service cannot say."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class LanguageGuess:
    code: str | None
    confidence: float


def guess_language_from_script(text: str) -> LanguageGuess:
    """Non-Latin scripts identify the language well; Latin script alone does not."""
    counts = {"th": 0, "ko": 0, "ja": 0, "han": 0, "ru": 0, "latin": 0}
    for ch in text:
        code = ord(ch)
        if 0x0E00 <= code <= 0x0E7F:
            counts["th"] += 1
        elif 0xAC00 <= code <= 0xD7AF or 0x1100 <= code <= 0x11FF or 0x3130 <= code <= 0x318F:
            counts["ko"] += 1
        elif 0x3040 <= code <= 0x30FF:
            counts["ja"] += 1
        elif 0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF:
            counts["han"] += 1
        elif 0x0400 <= code <= 0x04FF:
            counts["ru"] += 1
        elif ch.isalpha() and code < 0x0250:
            counts["latin"] += 1
    if counts["ja"]:
        return LanguageGuess("ja", 0.95)
    if counts["han"]:
        return LanguageGuess("zh", 0.9)
    script, count = max(((k, v) for k, v in counts.items() if k != "latin"), key=lambda kv: kv[1])
    if count:
        return LanguageGuess(script, 0.95)
    return LanguageGuess(None, 0.0)
