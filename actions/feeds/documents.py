"""What a feed URL serves: one CAP message, or an Atom or RSS index of CAP messages.

An index entry either embeds the CAP `<alert>` (as our own ``/api/v1/alerts/cap`` does) or links
to its CAP document (Atom ``<link type="application/cap+xml">`` or ``rel="alternate"``; RSS
``<enclosure>``, ``<link>`` or a permalink ``<guid>``). Each entry has a key, its id and date, so
an entry already dealt with is not fetched again and a changed entry is.
"""

from __future__ import annotations

import copy
import hashlib
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urljoin

from lxml import etree

from actions.cap.dates import parse_feed_time
from actions.cap.schema import CAP_NS, CapError, parse_xml

ATOM_NS = "http://www.w3.org/2005/Atom"
CAP_MEDIA_TYPES = ("application/cap+xml", "application/common-alerting-protocol+xml")
# Entries read per poll, newest first: a long archive is not fetched all at once.
MAX_ENTRIES = 100


class FeedFormatError(ValueError):
    """The document is neither a CAP message nor an Atom or RSS feed we can read."""


@dataclass(frozen=True, slots=True)
class Entry:
    # Id (or link) and date: an entry that changes gets a new key.
    key: str
    title: str
    updated: datetime | None
    # A CAP <alert> in the entry, as a document of its own.
    alert: etree._Element | None
    # The absolute address of its CAP document.
    link: str | None


@dataclass(frozen=True, slots=True)
class FeedDocument:
    kind: str
    # A single CAP message (kind "cap"), or the entries of an index (kind "atom" or "rss").
    alert: etree._Element | None
    entries: list[Entry]


def _text(element: etree._Element, path: str, namespaces: dict[str, str] | None = None) -> str:
    return (element.findtext(path, namespaces=namespaces) or "").strip()


def _embedded_alert(entry: etree._Element) -> etree._Element | None:
    for alert in entry.iter(f"{{{CAP_NS}}}alert"):
        # A copy is a document of its own, to be validated apart from the feed.
        standalone: etree._Element = copy.deepcopy(alert)
        return standalone
    return None


def _key(identity: str, date: str, alert: etree._Element | None) -> str:
    if not identity and alert is not None:
        identity = "sha256:" + hashlib.sha256(etree.tostring(alert)).hexdigest()
    return f"{identity}|{date}"


def _atom_link(entry: etree._Element, base: str) -> str | None:
    links = entry.findall(f"{{{ATOM_NS}}}link")
    chosen = next((link for link in links if link.get("type") in CAP_MEDIA_TYPES), None)
    if chosen is None:
        chosen = next((link for link in links if link.get("rel", "alternate") == "alternate"), None)
    href = chosen.get("href") if chosen is not None else None
    return urljoin(base, href.strip()) if href else None


def _atom_entries(feed: etree._Element, base: str) -> list[Entry]:
    ns = {"atom": ATOM_NS}
    entries = []
    for entry in feed.findall("atom:entry", ns):
        date = _text(entry, "atom:updated", ns) or _text(entry, "atom:published", ns)
        alert = _embedded_alert(entry)
        link = _atom_link(entry, base)
        entries.append(
            Entry(
                key=_key(_text(entry, "atom:id", ns) or link or "", date, alert),
                title=_text(entry, "atom:title", ns),
                updated=parse_feed_time(date),
                alert=alert,
                link=link,
            )
        )
    return entries


def _rss_link(item: etree._Element, base: str) -> str | None:
    enclosure = next(
        (e for e in item.findall("enclosure") if e.get("type") in CAP_MEDIA_TYPES and e.get("url")), None
    )
    href = enclosure.get("url") if enclosure is not None else _text(item, "link")
    guid = item.find("guid")
    if not href and guid is not None and guid.get("isPermaLink", "true") != "false":
        href = (guid.text or "").strip()
    return urljoin(base, href) if href else None


def _rss_entries(channel: etree._Element, base: str) -> list[Entry]:
    entries = []
    for item in channel.findall("item"):
        date = _text(item, "pubDate")
        alert = _embedded_alert(item)
        link = _rss_link(item, base)
        entries.append(
            Entry(
                key=_key(_text(item, "guid") or link or "", date, alert),
                title=_text(item, "title"),
                updated=parse_feed_time(date),
                alert=alert,
                link=link,
            )
        )
    return entries


def newest_first(entries: list[Entry], limit: int = MAX_ENTRIES) -> list[Entry]:
    """The `limit` newest entries (undated ones after the dated, in feed order)."""
    dated = [entry for entry in entries if entry.updated is not None]
    dated.sort(key=lambda entry: entry.updated.timestamp() if entry.updated else 0.0, reverse=True)
    return [*dated, *(entry for entry in entries if entry.updated is None)][:limit]


def read_feed(document: bytes, url: str) -> FeedDocument:
    """The CAP message or the index entries that `document`, fetched from `url`, holds.

    Parsed as safely as a CAP message: no DTD, no entities, no network.

    Raises:
        FeedFormatError: malformed XML, a DOCTYPE, or another kind of document.
    """
    try:
        root = parse_xml(document, what="feeds")
    except CapError as exc:
        raise FeedFormatError("; ".join(exc.problems)) from exc
    name = etree.QName(root)
    if (name.namespace, name.localname) == (CAP_NS, "alert"):
        return FeedDocument("cap", root, [])
    if (name.namespace, name.localname) == (ATOM_NS, "feed"):
        return FeedDocument("atom", None, _atom_entries(root, url))
    if name.namespace is None and name.localname == "rss" and (channel := root.find("channel")) is not None:
        return FeedDocument("rss", None, _rss_entries(channel, url))
    found = f"<{name.localname}>" + (f" in {name.namespace}" if name.namespace else "")
    raise FeedFormatError(f"not a CAP message, an Atom feed or an RSS 2.0 feed: {found}")
