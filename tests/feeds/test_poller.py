"""The feed relay against a fake agency server: a new alert relayed once and broadcast once, an
Update and a Cancel, failing feeds that stop nothing and lose nothing, a Thai RSS feed in the
Buddhist Era, and the messages that are not for Phuket's public now."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from actions.db.base import utcnow
from actions.db.models import AuditLog, ReceivedCapMessage
from actions.feeds import find_feed, remove_feed
from bot.feeds import FeedPoller
from tests.alerts.conftest import buddhist_era, cap_document, cap_triple
from tests.broadcast.conftest import Subscriber, add_subscribers, delivered, platform_settings, running_worker
from tests.fakes.feed_server import FakeFeedServer
from tests.fakes.line_api import FakeLineApi
from tests.fakes.telegram_api import FakeTelegramApi
from tests.feeds.conftest import (
    INTERVAL_S,
    OPTIONS,
    IndexEntry,
    all_alerts,
    atom,
    feed_row,
    new_feed,
    received,
    rss,
)

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")

CAP = "application/cap+xml"
ATOM = "application/atom+xml"
Sessions = async_sessionmaker[AsyncSession]


def tmd_area(code: str, name: str) -> str:
    return (
        f"<area><areaDesc>{name}</areaDesc>"
        f"<geocode><valueName>TIS1099</valueName><value>{code}</value></geocode></area>"
    )


async def test_a_new_alert_is_relayed_once_and_broadcast_once(
    database_url: str,
    sessions: Sessions,
    agency: FakeFeedServer,
    poller: FeedPoller,
    line_api: FakeLineApi,
    telegram_api: FakeTelegramApi,
):
    await add_subscribers(sessions, [Subscriber("telegram", "7001", zone="patong")])
    document = agency.publish("/cap/TMD-1.xml", cap_document(identifier="TMD-1"), CAP)
    index = agency.publish(
        "/feed.atom", atom(IndexEntry("urn:tmd:1", "2026-12-06T10:00:00+07:00", link=document)), ATOM
    )
    await new_feed(sessions, index)
    now = utcnow()

    [report] = await poller.poll_due(now)
    assert report.ok and report.summary == "200: 1 entries, 1 new: 1 relayed"
    [alert] = await all_alerts(sessions)
    assert (alert.identifier, alert.agency, alert.hazard) == (
        "TMD-1",
        "Thai Meteorological Department",
        "tsunami",
    )

    # Never sooner than the interval; then only asking whether the index changed.
    assert await poller.poll_due(now + timedelta(seconds=INTERVAL_S - 1)) == []
    [report] = await poller.poll_due(now + timedelta(seconds=INTERVAL_S))
    assert report.summary == "not modified (304)"
    assert agency.requests_to("/feed.atom") == [200, 304]
    assert agency.calls("/feed.atom")[1].headers["If-None-Match"] == agency.documents["/feed.atom"].etag

    # A relay that lost the feed's state (removed and added again, a new process): the document
    # is read again, and nothing is relayed twice.
    async with sessions() as session:
        feed = await find_feed(session, index)
        assert feed is not None
        await remove_feed(session, feed, now=utcnow(), actor="test")
        await session.commit()
    await new_feed(sessions, index)
    restarted = FeedPoller(sessions, OPTIONS)
    try:
        [report] = await restarted.poll_due(utcnow())
    finally:
        await restarted.aclose()
    assert report.summary == "200: 1 entries, 1 new: 1 already received"
    assert agency.requests_to("/cap/TMD-1.xml") == [200, 200]
    assert [a.id for a in await all_alerts(sessions)] == [alert.id]

    async with running_worker(platform_settings(database_url, line_api, telegram_api), sessions):
        await delivered(sessions, alert.id)
    assert telegram_api.delivered_counts() == Counter({7001: 1})
    assert "Move to high ground now" in telegram_api.sent(7001)[0]["text"]


async def test_an_update_changes_the_alert_and_a_cancel_withdraws_it(
    sessions: Sessions, agency: FakeFeedServer, poller: FeedPoller
):
    start = utcnow()
    original = cap_document(identifier="TMD-1", sent=start - timedelta(minutes=10))
    entries = [IndexEntry("urn:1", "2026-12-06T10:00:00+07:00", link=agency.publish("/1.xml", original, CAP))]
    index = agency.publish("/feed.atom", atom(*entries), ATOM)
    await new_feed(sessions, index, now=start)
    await poller.poll_due(start)
    [alert] = await all_alerts(sessions)

    update = cap_document(
        identifier="TMD-2",
        msg_type="Update",
        sent=start - timedelta(minutes=5),
        references=cap_triple(original),
        severity="Severe",
        headline="Tsunami warning downgraded for Patong",
    )
    entries.insert(
        0, IndexEntry("urn:2", "2026-12-06T10:05:00+07:00", link=agency.publish("/2.xml", update, CAP))
    )
    agency.publish("/feed.atom", atom(*entries), ATOM)
    [report] = await poller.poll_due(start + timedelta(seconds=INTERVAL_S))
    assert report.summary == "200: 2 entries, 1 new: 1 relayed"
    [updated] = await all_alerts(sessions)
    assert updated.id == alert.id and (updated.msg_type, updated.identifier) == ("Update", "TMD-2")
    assert updated.severity == "Severe" and updated.headline == {
        "en": "Tsunami warning downgraded for Patong"
    }
    assert agency.requests_to("/1.xml") == [200]

    cancel = cap_document(identifier="TMD-3", msg_type="Cancel", sent=start, references=cap_triple(update))
    entries.insert(
        0, IndexEntry("urn:3", "2026-12-06T10:10:00+07:00", link=agency.publish("/3.xml", cancel, CAP))
    )
    agency.publish("/feed.atom", atom(*entries), ATOM)
    await poller.poll_due(start + timedelta(seconds=2 * INTERVAL_S))
    [cancelled] = await all_alerts(sessions)
    assert cancelled.status == "cancelled" and cancelled.cancelled_at is not None
    assert {identifier: row.outcome for identifier, row in (await received(sessions)).items()} == {
        "TMD-1": "relayed",
        "TMD-2": "relayed",
        "TMD-3": "relayed",
    }
    async with sessions() as session:
        actions = list(await session.scalars(select(AuditLog.action).where(AuditLog.actor == "feed:TMD")))
    assert actions == ["alert.create", "alert.update", "alert.cancel"]


async def test_an_alert_and_its_update_in_one_poll_are_applied_in_the_order_they_were_sent(
    sessions: Sessions, agency: FakeFeedServer, poller: FeedPoller
):
    now = utcnow()
    original = cap_document(identifier="TMD-1", sent=now - timedelta(minutes=10), headline="First")
    update = cap_document(
        identifier="TMD-2", msg_type="Update", sent=now, references=cap_triple(original), headline="Second"
    )
    # Newest first, as indexes list them; both embedded.
    index = agency.publish(
        "/feed.atom",
        atom(
            IndexEntry("urn:2", "2026-12-06T10:05:00+07:00", alert=update),
            IndexEntry("urn:1", "2026-12-06T10:00:00+07:00", alert=original),
        ),
        ATOM,
    )
    await new_feed(sessions, index, now=now)
    [report] = await poller.poll_due(now)
    assert report.summary == "200: 2 entries, 2 new: 2 relayed"
    [alert] = await all_alerts(sessions)
    assert alert.headline == {"en": "Second"} and alert.identifier == "TMD-2"


async def test_a_failing_feed_stops_no_other_and_loses_nothing(
    sessions: Sessions, agency: FakeFeedServer, poller: FeedPoller
):
    names = ["ok", "down", "busy", "slow", "broken", "huge", "endless"]
    documents = {name: cap_document(identifier=f"TMD-{name}", headline=f"Warning {name}") for name in names}
    for name, document in documents.items():
        agency.publish(f"/{name}.xml", document, CAP)
    agency.fail("/down.xml", 500)
    agency.fail("/busy.xml", 503, retry_after="400")
    agency.hang("/slow.xml")
    agency.publish("/broken.xml", documents["broken"][:-20], CAP)
    padding = b"<!--" + b"x" * 100_000 + b"--><info>"
    agency.publish("/huge.xml", documents["huge"].replace(b"<info>", padding), CAP)
    agency.publish("/endless.xml", documents["endless"].replace(b"<info>", padding), CAP, chunked=True)
    for name in names:
        await new_feed(sessions, f"{agency.url}/{name}.xml", name=name)
    now = utcnow()

    reports = {report.name: report for report in await poller.poll_due(now)}
    assert reports["ok"].ok and reports["ok"].summary == "200: a CAP message: 1 relayed"
    expected = {
        "down": "answered HTTP 500",
        "busy": "answered HTTP 503",
        "slow": "no complete answer",
        "broken": "malformed XML",
        "huge": "more than the limit of 100000 bytes",
        "endless": "more than the limit of 100000 bytes; cut off",
    }
    for name, problem in expected.items():
        assert not reports[name].ok and problem in reports[name].summary, reports[name].summary
        feed = await feed_row(sessions, reports[name].feed_id)
        assert feed.failures == 1 and problem in feed.log[-1]["text"] and feed.log[-1]["level"] == "error"
    # Backoff: twice the interval after one failure; the server's Retry-After when it asks for longer.
    assert reports["down"].next_poll_at == now + timedelta(seconds=2 * INTERVAL_S)
    assert reports["busy"].next_poll_at == now + timedelta(seconds=400)
    assert [alert.identifier for alert in await all_alerts(sessions)] == ["TMD-ok"]

    # The failing feeds are not polled again before their backoff is over.
    polled = await poller.poll_due(now + timedelta(seconds=INTERVAL_S))
    assert [report.name for report in polled] == ["ok"]

    for name in names:
        agency.heal(f"/{name}.xml")
        agency.publish(f"/{name}.xml", documents[name], CAP)
    reports = {report.name: report for report in await poller.poll_due(now + timedelta(seconds=400))}
    assert set(expected) <= set(reports) and all(report.ok for report in reports.values())
    assert sorted(alert.identifier for alert in await all_alerts(sessions)) == sorted(
        f"TMD-{n}" for n in names
    )
    failures = [(await feed_row(sessions, report.feed_id)).failures for report in reports.values()]
    assert failures == [0] * len(reports)


async def test_an_entry_whose_document_cannot_be_fetched_is_tried_again(
    sessions: Sessions, agency: FakeFeedServer, poller: FeedPoller
):
    first = agency.publish("/1.xml", cap_document(identifier="TMD-1"), CAP)
    second = agency.publish("/2.xml", cap_document(identifier="TMD-2"), CAP)
    agency.fail("/2.xml", 500)
    index = agency.publish(
        "/feed.atom",
        atom(
            IndexEntry("urn:2", "2026-12-06T10:05:00+07:00", link=second),
            IndexEntry("urn:1", "2026-12-06T10:00:00+07:00", link=first),
        ),
        ATOM,
    )
    feed_id = await new_feed(sessions, index)
    now = utcnow()
    [report] = await poller.poll_due(now)
    assert not report.ok and "1 relayed; 1 error(s)" in report.summary
    feed = await feed_row(sessions, feed_id)
    # Without every entry done, the validators are dropped: the next poll reads the index again.
    assert feed.etag is None and feed.entries_seen == ["urn:1|2026-12-06T10:00:00+07:00"]

    agency.heal("/2.xml")
    [report] = await poller.poll_due(report.next_poll_at)
    assert report.ok and report.summary == "200: 2 entries, 1 new: 1 relayed"
    assert agency.requests_to("/feed.atom") == [200, 200]
    assert agency.requests_to("/1.xml") == [200] and agency.requests_to("/2.xml") == [500, 200]
    assert sorted(alert.identifier for alert in await all_alerts(sessions)) == ["TMD-1", "TMD-2"]


async def test_a_thai_rss_feed_in_the_buddhist_era_is_relayed(
    sessions: Sessions, agency: FakeFeedServer, poller: FeedPoller
):
    now = utcnow().replace(microsecond=0)
    document = cap_document(
        identifier="TMD-BE-1",
        sent=buddhist_era(now),
        effective=buddhist_era(now - timedelta(minutes=5)),
        expires=buddhist_era(now + timedelta(hours=3)),
        areas=tmd_area("830202", "ต.ป่าตอง อ.กะทู้ จ.ภูเก็ต"),
    )
    link = agency.publish("/cap/TMD-BE-1.xml", document, CAP)
    pub_date = f"{now:%a, %d %b} {now.year + 543} {now:%H:%M:%S} +0000"
    index = agency.publish(
        "/rss.xml", rss(IndexEntry("TMD-BE-1", pub_date, link=link)), "application/rss+xml"
    )
    await new_feed(sessions, index, now=now)
    [report] = await poller.poll_due(now)
    assert report.ok and report.summary == "200: 1 entries, 1 new: 1 relayed"
    [alert] = await all_alerts(sessions)
    assert alert.effective == now - timedelta(minutes=5) and alert.expires == now + timedelta(hours=3)
    assert alert.area["zones"][0] == "patong"


async def test_only_current_actual_public_messages_for_phuket_are_relayed(
    sessions: Sessions, agency: FakeFeedServer, poller: FeedPoller
):
    now = utcnow()
    messages = {
        "T-test": cap_document(identifier="T-test", status="Test"),
        "T-exercise": cap_document(identifier="T-exercise", status="Exercise"),
        "T-restricted": cap_document(identifier="T-restricted", scope="Restricted"),
        "T-expired": cap_document(
            identifier="T-expired", effective=now - timedelta(hours=3), expires=now - timedelta(hours=1)
        ),
        "T-phangnga": cap_document(identifier="T-phangnga", areas=tmd_area("82", "Phang Nga")),
        "T-cancel": cap_document(
            identifier="T-cancel",
            msg_type="Cancel",
            references="warning@tmd.go.th,T-unknown,2026-12-01T10:00:00+07:00",
        ),
        "T-ok": cap_document(identifier="T-ok"),
    }
    entries = [
        IndexEntry(f"urn:{name}", "2026-12-06T10:00:00+07:00", alert=doc) for name, doc in messages.items()
    ]
    feed_id = await new_feed(sessions, agency.publish("/feed.atom", atom(*entries), ATOM), now=now)
    [report] = await poller.poll_due(now)

    assert report.ok
    assert [alert.identifier for alert in await all_alerts(sessions)] == ["T-ok"]
    outcomes = {identifier: row.outcome for identifier, row in (await received(sessions)).items()}
    assert outcomes == {name: ("relayed" if name == "T-ok" else "skipped") for name in messages}
    for part in ["1 relayed", "skipped (outside Phuket)", "skipped (expired)", "skipped (nothing to cancel)"]:
        assert part in report.summary
    # Only what an operator should look at is noted in the feed's log: the area elsewhere.
    [note] = (await feed_row(sessions, feed_id)).log
    assert note["level"] == "note" and note["text"].startswith("Alert T-phangnga (warning@tmd.go.th): line ")
    assert note["text"].endswith(": the alert is for Phang Nga: outside Phuket")


async def test_an_update_that_brings_a_warning_to_phuket_is_relayed_as_a_new_alert(
    sessions: Sessions, agency: FakeFeedServer, poller: FeedPoller
):
    now = utcnow()
    phang_nga = cap_document(
        identifier="T-1", sent=now - timedelta(minutes=5), areas=tmd_area("82", "Phang Nga")
    )
    widened = cap_document(
        identifier="T-2",
        msg_type="Update",
        sent=now,
        references=cap_triple(phang_nga),
        areas=tmd_area("82", "Phang Nga") + tmd_area("83", "Phuket"),
    )
    entries = [
        IndexEntry("urn:2", "2026-12-06T10:05:00+07:00", alert=widened),
        IndexEntry("urn:1", "2026-12-06T10:00:00+07:00", alert=phang_nga),
    ]
    await new_feed(sessions, agency.publish("/feed.atom", atom(*entries), ATOM), now=now)
    [report] = await poller.poll_due(now)
    assert report.summary == "200: 2 entries, 2 new: 1 skipped (outside Phuket), 1 relayed"
    [alert] = await all_alerts(sessions)
    assert alert.identifier == "T-2" and alert.area == {"zones": [], "circles": [], "polygons": []}
    assert alert.references == cap_triple(phang_nga)


async def test_an_update_that_moves_a_warning_away_from_phuket_withdraws_it(
    sessions: Sessions, agency: FakeFeedServer, poller: FeedPoller
):
    now = utcnow()
    patong = cap_document(identifier="T-1", sent=now - timedelta(minutes=5))
    moved = cap_document(
        identifier="T-2",
        msg_type="Update",
        sent=now,
        references=cap_triple(patong),
        areas=tmd_area("82", "Phang Nga"),
    )
    entries = [
        IndexEntry("urn:2", "2026-12-06T10:05:00+07:00", alert=moved),
        IndexEntry("urn:1", "2026-12-06T10:00:00+07:00", alert=patong),
    ]
    feed_id = await new_feed(sessions, agency.publish("/feed.atom", atom(*entries), ATOM), now=now)
    [report] = await poller.poll_due(now)
    assert report.summary == "200: 2 entries, 2 new: 1 relayed, 1 relayed (withdrawn)"
    [alert] = await all_alerts(sessions)
    assert alert.identifier == "T-1" and alert.status == "cancelled"
    [note] = (await feed_row(sessions, feed_id)).log
    assert note["text"].startswith("Update T-2 (warning@tmd.go.th): no longer covers Phuket (")
    assert note["text"].endswith(f"): alert(s) {alert.id} withdrawn")


async def test_two_relays_never_poll_a_feed_at_the_same_time(
    sessions: Sessions, agency: FakeFeedServer, poller: FeedPoller
):
    await new_feed(sessions, agency.publish("/tmd.xml", cap_document(identifier="TMD-1"), CAP))
    other = FeedPoller(sessions, OPTIONS)
    try:
        now = utcnow()
        first, second = await asyncio.gather(poller.poll_due(now), other.poll_due(now))
    finally:
        await other.aclose()
    assert len(first) + len(second) == 1
    assert agency.requests_to("/tmd.xml") == [200]
    assert len(await all_alerts(sessions)) == 1


async def test_a_message_is_recorded_as_received_once(sessions: Sessions):
    """The database itself refuses a second record of one message (two relays at the same time)."""
    now = utcnow()
    for attempt in range(2):
        async with sessions() as session:
            session.add(
                ReceivedCapMessage(
                    sender="warning@tmd.go.th",
                    identifier="TMD-1",
                    sent="2026-12-06T10:00:00+07:00",
                    msg_type="Alert",
                    outcome="relayed",
                    received_at=now,
                )
            )
            if attempt == 0:
                await session.commit()
            else:
                with pytest.raises(IntegrityError):
                    await session.commit()
    assert len(await received(sessions)) == 1
