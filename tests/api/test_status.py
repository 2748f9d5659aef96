"""Status changes and notes by an operator: recorded, audited, and told to the reporter in their language."""

from __future__ import annotations

from sqlalchemy import select

from actions.db.models import Incident, UserNotice
from actions.i18n import default_translator
from tests.api.conftest import Api, add_incident, incident_row, open_api
from tests.bot.channels.conftest import line_settings, line_text, post_line, texts
from tests.bot.chat import Conversation
from tests.bot.conftest import make_settings
from tests.bot.test_responders import WebhookReceiver

t = default_translator()
THAI_SOS = "ช่วยด้วย มีคนจมน้ำ"


async def test_a_status_change_reaches_a_web_reporter_in_thai_at_the_next_turn(database_url, dead_nlu_url):
    async with WebhookReceiver() as responders:
        settings = make_settings(
            database_url, dead_nlu_url, load_demo_places=False, responder_webhook_url=responders.url
        )
        async with open_api(settings) as api:
            reporter = Conversation(api.client, "thai-reporter")
            await reporter.say(THAI_SOS)
            reference = reporter.last["incident_reference"]
            assert reporter.language == "th"

            response = await api.post(f"/api/v1/incidents/{reference}/status", json={"status": "dispatched"})
            await reporter.say("ขอบคุณ")
            await api.app.state.runtime.notifier.drain()
            audit = await api.audit()

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "dispatched"
    last = body["events"][-1]
    assert last["kind"] == "status_changed"
    assert last["data"] == {"from": "new", "to": "dispatched"}
    assert last["actor"].startswith("agency:tourist-police/key:")
    notice = t("th", "status.changed_notice", reference=reference, status=t("th", "status.name.dispatched"))
    assert reporter.last["replies"][0]["text"] == notice
    [changed] = [b for b in responders.bodies if b["event"] == "status_changed"]
    assert (changed["reference"], changed["status"]) == (reference, "dispatched")
    [row] = audit
    assert (row.actor, row.action, row.target) == (last["actor"], "incident.status", reference)
    assert row.details == {"from": "new", "to": "dispatched", "note": None}


async def test_a_note_reaches_the_reporter_in_their_language(api: Api):
    reporter = Conversation(api.client, "noted")
    await reporter.say(THAI_SOS)
    reference = reporter.last["incident_reference"]
    response = await api.post(f"/api/v1/incidents/{reference}/notes", json={"text": "ทีมกู้ภัยกำลังไป"})
    empty = await api.post(f"/api/v1/incidents/{reference}/notes", json={"text": "   "})
    await reporter.say("ขอบคุณ")

    assert response.status_code == 201
    note = response.json()["events"][-1]
    assert (note["kind"], note["text"]) == ("note", "ทีมกู้ภัยกำลังไป")
    expected = (
        t("th", "status.changed_notice", reference=reference, status=t("th", "status.name.new"))
        + "\n"
        + t("th", "event.note", text="ทีมกู้ภัยกำลังไป")
    )
    assert reporter.last["replies"][0]["text"] == expected
    assert empty.status_code == 400
    [row] = await api.audit()
    assert (row.action, row.target, row.details["text"]) == ("incident.note", reference, "ทีมกู้ภัยกำลังไป")


async def test_a_status_change_with_a_note_is_pushed_to_a_line_reporter(database_url, dead_nlu_url, line_api):
    settings = line_settings(database_url, dead_nlu_url, line_api, load_demo_places=False)
    async with open_api(settings) as api:
        await post_line(api.client, line_text("U-reporter", line_api.reply_token("U-reporter"), THAI_SOS))
        await api.app.state.messengers.drain()
        async with api.app.state.sessions() as session:
            reference = await session.scalar(select(Incident.reference))
        response = await api.post(
            f"/api/v1/incidents/{reference}/status", json={"status": "acknowledged", "note": "กำลังไป"}
        )
        await api.app.state.runtime.notifier.drain()
        await api.app.state.messengers.drain()

    assert response.status_code == 200
    pushed = texts(line_api.delivered("U-reporter")[-1:])
    expected = (
        t("th", "status.changed_notice", reference=reference, status=t("th", "status.name.acknowledged"))
        + "\n"
        + t("th", "event.note", text="กำลังไป")
    )
    assert pushed == expected


async def test_an_invalid_transition_gets_409_and_changes_nothing(api: Api):
    reference = await add_incident(api.app, user="closed-case", status="closed")
    response = await api.post(f"/api/v1/incidents/{reference}/status", json={"status": "acknowledged"})
    same = await api.post(
        f"/api/v1/incidents/{await add_incident(api.app, user='n')}/status", json={"status": "new"}
    )
    unknown_status = await api.post(f"/api/v1/incidents/{reference}/status", json={"status": "done"})
    unknown_incident = await api.post("/api/v1/incidents/PKT-2222/status", json={"status": "closed"})

    assert response.status_code == 409
    assert response.json()["detail"] == (
        "an incident that is closed cannot become acknowledged; from closed it can become: nothing (final)"
    )
    assert same.status_code == 409
    assert "acknowledged, cancelled, closed, dispatched, resolved" in same.json()["detail"]
    assert unknown_status.status_code == 400
    assert unknown_incident.status_code == 404
    assert (await incident_row(api.app, reference)).status == "closed"
    assert await api.audit() == []
    async with api.app.state.sessions() as session:
        assert list(await session.scalars(select(UserNotice))) == []
