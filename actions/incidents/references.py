"""Incident references users can read out on the phone: ``PKT-7K3Q``."""

from __future__ import annotations

import re
import secrets

# No 0/O, 1/I/L: the reference is read aloud and typed on phones.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
PREFIX = "PKT"
LENGTH = 4
_PATTERN = re.compile(rf"\b{PREFIX}[\s\-_]?([{ALPHABET}]{{{LENGTH}}})\b", re.IGNORECASE)


def new_reference() -> str:
    return f"{PREFIX}-" + "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalize_reference(text: str) -> str | None:
    """``pkt 7k3q`` -> ``PKT-7K3Q``; None when the text holds no reference."""
    match = _PATTERN.search(text.upper())
    return f"{PREFIX}-{match.group(1).upper()}" if match else None
