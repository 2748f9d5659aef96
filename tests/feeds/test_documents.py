"""What a feed URL serves, read: one CAP message, an Atom or RSS index linking or embedding CAP
messages; anything else, malformed XML or a DOCTYPE refused."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from actions.cap import CAP_NS
from actions.feeds import FeedFormatError, newest_first, read_feed
from tests.alerts.conftest import cap_document
from tests.feeds.conftest import IndexEntry, atom, rss

BASE = "https://cap.example.org/feeds/tmd.xml"


def test_a_cap_document_is_one_message():
    document = read_feed(cap_document(identifier="TMD-1"), BASE)
    assert document.kind == "cap" and document.entries == []
    assert document.alert is not None and document.alert.findtext(f"{{{CAP_NS}}}identifier") == "TMD-1"


def test_atom_entries_link_or_embed_their_messages():
    document = read_feed(
        atom(
            IndexEntry("urn:tmd:1", "2026-12-06T10:00:00+07:00", link="alerts/1.xml"),
            IndexEntry("urn:tmd:2", "2568-12-06T11:00:00+07:00", alert=cap_document(identifier="TMD-2")),
        ),
        BASE,
    )
    first, second = document.entries
    # Relative links are resolved against the feed's address.
    assert first.link == "https://cap.example.org/feeds/alerts/1.xml" and first.alert is None
    assert first.key == "urn:tmd:1|2026-12-06T10:00:00+07:00"
    assert second.alert is not None and second.alert.findtext(f"{{{CAP_NS}}}identifier") == "TMD-2"
    # A Buddhist Era date is the date it means.
    assert second.updated == datetime(2025, 12, 6, 4, 0, tzinfo=UTC)
    assert [entry.key for entry in newest_first(document.entries)] == [first.key, second.key]


def test_rss_items_link_their_messages_by_enclosure():
    document = read_feed(
        rss(IndexEntry("tmd-77", "Sat, 06 Dec 2568 10:00:00 +0700", link="https://cap.example.org/77.xml")),
        BASE,
    )
    [item] = document.entries
    assert (
        item.link == "https://cap.example.org/77.xml" and item.key == "tmd-77|Sat, 06 Dec 2568 10:00:00 +0700"
    )
    assert item.updated == datetime(2025, 12, 6, 3, 0, tzinfo=UTC)


def test_only_the_newest_entries_are_read():
    entries = [
        IndexEntry(f"urn:{n}", f"2026-12-{n:02d}T10:00:00+07:00", link=f"{n}.xml") for n in range(1, 31)
    ]
    newest = newest_first(read_feed(atom(*entries), BASE).entries, limit=3)
    assert [entry.key.split("|")[0] for entry in newest] == ["urn:30", "urn:29", "urn:28"]


@pytest.mark.parametrize(
    ("document", "problem"),
    [
        (
            b"<html><body>Maintenance</body></html>",
            "not a CAP message, an Atom feed or an RSS 2.0 feed: <html>",
        ),
        (b"<feed xmlns='http://www.w3.org/2005/Atom'><entry>", "malformed XML"),
        (
            b'<?xml version="1.0"?><!DOCTYPE feed [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b"<feed xmlns='http://www.w3.org/2005/Atom'><title>&x;</title></feed>",
            "DOCTYPE declarations are not allowed in feeds",
        ),
    ],
)
def test_other_documents_are_refused(document: bytes, problem: str):
    with pytest.raises(FeedFormatError, match=problem):
        read_feed(document, BASE)
