"""Dates as Thai agencies write them: years of the Buddhist Era (BE 2568 is AD 2025).

Thai systems often stamp CAP times and feed dates with the Buddhist Era year. Such a year is turned
into the Gregorian one before anything reads the date: in the text itself, because a BE leap day
(29 February 2567, AD 2024) is no date at all in year 2567 of the Gregorian calendar.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from lxml import etree

BUDDHIST_ERA_OFFSET = 543
# No warning carries a Gregorian year this far ahead; BE 2400 is AD 1857.
FIRST_BUDDHIST_ERA_YEAR = 2400

# 2568-11-24T10:15:00+07:00 (CAP, Atom)
_ISO_YEAR = re.compile(r"^\s*(?P<year>\d{4})(?=-\d\d-\d\d)")
# Mon, 24 Nov 2568 10:15:00 +0700 (RSS)
_RFC822_YEAR = re.compile(r"(?<=\s)(?P<year>\d{4})(?=\s+\d{1,2}:\d\d)")


def gregorian_year(year: int) -> int:
    return year - BUDDHIST_ERA_OFFSET if year >= FIRST_BUDDHIST_ERA_YEAR else year


def _gregorian(match: re.Match[str]) -> str:
    """The matched text with the year group in the Gregorian era (the rest kept)."""
    year = match.group("year")
    whole = match.group(0)
    return whole.replace(year, f"{gregorian_year(int(year)):04d}", 1)


def gregorian_iso(text: str) -> str:
    """An ISO 8601 / RFC 3339 date-time with a Buddhist Era year given its Gregorian year."""
    return _ISO_YEAR.sub(_gregorian, text, count=1)


def gregorian_times(elements: Iterable[etree._Element]) -> list[str]:
    """Rewrite Buddhist Era years in these date-time elements in place; what was changed."""
    changed = []
    for element in elements:
        text = element.text or ""
        if (converted := gregorian_iso(text)) != text:
            changed.append(f"<{etree.QName(element).localname}> {text.strip()} is {converted.strip()}")
            element.text = converted
    return changed


def parse_feed_time(text: str | None) -> datetime | None:
    """An Atom (RFC 3339) or RSS (RFC 822) date as an aware UTC datetime, Buddhist Era years
    included; None when it is missing, unreadable or has no time zone."""
    text = (text or "").strip()
    if not text:
        return None
    moment: datetime | None
    try:
        moment = datetime.fromisoformat(gregorian_iso(text))
    except ValueError:
        try:
            moment = parsedate_to_datetime(_RFC822_YEAR.sub(_gregorian, text, count=1))
        except (TypeError, ValueError, IndexError):
            moment = None
    if moment is None or moment.tzinfo is None:
        return None
    return moment.astimezone(UTC)
