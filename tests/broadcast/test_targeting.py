"""Who an alert reaches: subscribers whose area touches the alert's, once each, in their language."""

from __future__ import annotations

from sqlalchemy import func, select

from actions.broadcast import CANNOT_PUSH, UNREACHABLE, enqueue_deliveries
from actions.db.base import utcnow
from actions.db.models import Alert, Delivery, Subscription
from actions.places.gazetteer import default_gazetteer
from tests.broadcast.conftest import Subscriber, add_subscribers, deliveries, issue_alert

PATONG_BEACH = (7.8960, 98.2955)


async def test_an_alert_reaches_the_subscribers_of_its_area_once_each(sessions):
    await add_subscribers(
        sessions,
        [
            Subscriber("line", "U-thai-patong", language="th", zone="patong"),
            Subscriber("telegram", "1001", language="en", zone="patong"),
            # Two subscriptions that both cover Patong: one delivery.
            Subscriber("telegram", "1002", language="ru", zone="patong"),
            Subscriber("telegram", "1002", language="ru", point=PATONG_BEACH, radius_m=5_000),
            Subscriber("line", "U-kata-only", language="en", zone="kata"),
            Subscriber("line", "U-blocked", language="th", zone="patong", reachable=False),
            Subscriber("web", "browser-1", language="en", zone="patong"),
            Subscriber("line", "U-no-language", language=None, zone="patong"),
        ],
    )
    alert_id = await issue_alert(sessions, zones=["patong"])

    found = await deliveries(sessions, alert_id)
    assert set(found) == {"U-thai-patong", "1001", "1002", "U-blocked", "browser-1", "U-no-language"}
    assert {key: (d.channel, d.language, d.status) for key, d in found.items()} == {
        "U-thai-patong": ("line", "th", "pending"),
        "1001": ("telegram", "en", "pending"),
        "1002": ("telegram", "ru", "pending"),
        "U-blocked": ("line", "th", "skipped"),
        "browser-1": ("web", "en", "skipped"),
        "U-no-language": ("line", "en", "pending"),
    }
    assert found["U-blocked"].last_error == UNREACHABLE
    assert found["browser-1"].last_error == CANNOT_PUSH


async def test_a_kata_subscriber_gets_no_mai_khao_alert(sessions):
    await add_subscribers(
        sessions,
        [
            Subscriber("line", "U-kata", zone="kata"),
            Subscriber("line", "U-mai-khao", zone="mai_khao"),
        ],
    )
    alert_id = await issue_alert(sessions, zones=["mai_khao"])

    assert set(await deliveries(sessions, alert_id)) == {"U-mai-khao"}


async def test_enqueueing_again_adds_only_new_subscribers(sessions):
    await add_subscribers(sessions, [Subscriber("line", "U-first", zone="patong")])
    alert_id = await issue_alert(sessions, zones=["patong"])
    await add_subscribers(sessions, [Subscriber("line", "U-later", zone="patong")])

    async with sessions() as session:
        alert = await session.get(Alert, alert_id)
        assert alert is not None
        added = await enqueue_deliveries(session, alert, gazetteer=default_gazetteer(), now=utcnow())
        await session.commit()
        total = await session.scalar(select(func.count()).where(Delivery.alert_id == alert_id))

    assert added == 1
    assert total == 2
    assert set(await deliveries(sessions, alert_id)) == {"U-first", "U-later"}


async def test_unsubscribed_users_are_not_targeted(sessions):
    [user_id] = await add_subscribers(sessions, [Subscriber("line", "U-left", zone="patong")])
    async with sessions() as session:
        for subscription in await session.scalars(
            select(Subscription).where(Subscription.user_id == user_id)
        ):
            subscription.active = False
        await session.commit()

    alert_id = await issue_alert(sessions, zones=["patong"])

    assert await deliveries(sessions, alert_id) == {}
