"""CAP 1.2 message references: ``sender,identifier,sent`` triples separated by whitespace."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

# CAP 1.2 times carry an explicit offset and no fraction; Phuket's is +07:00.
PHUKET_OFFSET = timezone(timedelta(hours=7))


def cap_time(moment: datetime, offset: timezone = PHUKET_OFFSET) -> str:
    """``2026-11-24T11:38:36+07:00``: the form CAP 1.2 allows (never ``Z``, never fractions)."""
    return moment.astimezone(offset).replace(microsecond=0).isoformat()


def parse_cap_time(text: str) -> datetime:
    """A CAP 1.2 time as an aware UTC datetime.

    Raises:
        ValueError: when `text` is not a date-time with an offset.
    """
    moment = datetime.fromisoformat(text.strip())
    if moment.tzinfo is None:
        raise ValueError(f"{text!r} has no UTC offset")
    return moment.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class Reference:
    sender: str
    identifier: str
    sent: str

    def __str__(self) -> str:
        return f"{self.sender},{self.identifier},{self.sent}"


def parse_references(text: str | None) -> list[Reference]:
    """The triples of a ``<references>`` value.

    Raises:
        ValueError: naming the first entry that is not ``sender,identifier,sent``.
    """
    references = []
    for entry in (text or "").split():
        parts = entry.split(",")
        if len(parts) != 3 or not all(parts):
            raise ValueError(f"reference {entry!r} is not 'sender,identifier,sent'")
        references.append(Reference(*parts))
    return references


def join_references(references: list[Reference]) -> str | None:
    return " ".join(str(reference) for reference in references) or None
