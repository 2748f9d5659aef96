"""Working an incident in the console: claims, status, talking to the reporter, duplicates, notes,
and the conversation as responders see it."""

from __future__ import annotations

from sqlalchemy import select

from actions.api_keys import Role
from actions.db.models import Incident
from actions.i18n import default_translator
from tests.console.conftest import Console, chat_notices, report_sos

THAI_SOS = "ช่วยด้วย มีคนจมน้ำที่หาดป่าตอง"


async def _incident(console: Console, reference: str) -> Incident:
    async with console.app.state.sessions() as session:
        incident = await session.scalar(select(Incident).where(Incident.reference == reference))
        assert incident is not None
        return incident


async def test_a_claim_shows_who_works_on_it_and_only_an_admin_takes_it_over(console: Console) -> None:
    somchai = await console.signed_in("somchai", Role.OPERATOR)
    malee = await console.signed_in("malee", Role.OPERATOR)
    chief = await console.signed_in("chief", Role.ADMIN)
    reference = await report_sos(console.reporter(), THAI_SOS)

    claimed = await somchai.post(f"/console/incidents/{reference}/claim")
    assert claimed.status_code == 200
    assert "somchai" in claimed.text
    page = await malee.get(f"/console/incidents/{reference}")
    assert "Handled by somchai" in page.text
    queue = await malee.get("/console/queue")
    assert "somchai" in queue.text

    taken = await malee.post(f"/console/incidents/{reference}/claim")
    assert taken.status_code == 409
    assert "somchai" in taken.text
    refused = await malee.post(f"/console/incidents/{reference}/status", {"status": "acknowledged"})
    assert refused.status_code == 409, "someone else's incident must be taken over first"

    over = await chief.post(f"/console/incidents/{reference}/claim")
    assert over.status_code == 200
    incident = await _incident(console, reference)
    assert incident.claimed_by_id is not None
    assert "Handled by chief" in (await somchai.get(f"/console/incidents/{reference}")).text
    assert [e.action for e in await console.audit() if e.target == reference] == [
        "incident.claim",
        "incident.take_over",
    ]


async def test_a_status_change_and_a_phrase_reach_the_reporter_in_thai(console: Console) -> None:
    operator = await console.signed_in("somchai", Role.OPERATOR)
    reporter = console.reporter()
    reference = await report_sos(reporter, THAI_SOS)

    changed = await operator.post(f"/console/incidents/{reference}/status", {"status": "dispatched"})
    assert changed.status_code == 200
    sent = await operator.post(f"/console/incidents/{reference}/messages", {"phrase": "help_on_the_way"})
    assert sent.status_code == 200
    # The operator reads the phrase in the console's language (English here).
    assert "Help is on the way." in sent.text

    notices = await chat_notices(reporter)
    t = default_translator()
    assert notices[0] == t(
        "th", "status.changed_notice", reference=reference, status=t("th", "status.name.dispatched")
    )
    assert notices[1] == f"เจ้าหน้าที่แจ้งเกี่ยวกับเหตุ {reference} ของคุณ:\nความช่วยเหลือกำลังไปหาคุณ"
    assert await chat_notices(reporter) == [], "each notice is shown once"
    assert (await _incident(console, reference)).status == "dispatched"
    page = await operator.get(f"/console/incidents/{reference}")
    assert "✓ delivered" in page.text


async def test_free_text_is_sent_as_written_and_marked_as_such(console: Console) -> None:
    operator = await console.signed_in("somchai", Role.OPERATOR)
    reporter = console.reporter()
    reference = await report_sos(reporter, "помогите! тонет человек на пляже Патонг")
    sent = await operator.post(
        f"/console/incidents/{reference}/messages", {"text": "Boat 3 is 5 minutes away"}
    )
    assert sent.status_code == 200
    (notice,) = await chat_notices(reporter)
    assert notice == (
        f"Сообщение спасателей по вашему обращению {reference} (как написано, без перевода):\n"
        "Boat 3 is 5 minutes away"
    )
    empty = await operator.post(f"/console/incidents/{reference}/messages", {"text": "   "})
    assert empty.status_code == 400


async def test_the_conversation_shows_every_message_in_and_out(console: Console) -> None:
    operator = await console.signed_in("somchai", Role.OPERATOR)
    reporter = console.reporter()
    reference = await report_sos(reporter, THAI_SOS)
    await operator.post(f"/console/incidents/{reference}/messages", {"phrase": "are_you_injured"})
    later = await reporter.post("/api/v1/chat", json={"text": "เพื่อนหมดสติอยู่บนชายหาด"})
    assert later.status_code == 200
    page = (await operator.get(f"/console/incidents/{reference}/panel")).text
    inbound = [THAI_SOS, "เพื่อนหมดสติอยู่บนชายหาด"]
    for text in inbound:
        assert text in page
    # What the bot answered (the reference and the numbers), and the responder's question in Thai.
    assert "1669" in page
    assert "คุณหรือคนที่อยู่กับคุณได้รับบาดเจ็บหรือไม่" in page
    assert page.index(THAI_SOS) < page.index("คุณหรือคนที่อยู่กับคุณได้รับบาดเจ็บหรือไม่") < page.index(inbound[1])


async def test_a_duplicate_is_closed_and_its_reporter_told_the_original(console: Console) -> None:
    operator = await console.signed_in("somchai", Role.OPERATOR)
    first = await report_sos(console.reporter(), "help! someone drowning at Patong beach")
    second_reporter = console.reporter()
    second = await report_sos(second_reporter, "ช่วยด้วย มีคนจมน้ำที่ป่าตอง")

    marked = await operator.post(f"/console/incidents/{second}/duplicate", {"original": first.lower()})
    assert marked.status_code == 200
    duplicate = await _incident(console, second)
    original = await _incident(console, first)
    assert duplicate.status == "closed"
    assert duplicate.duplicate_of_id == original.id
    assert original.status == "new"
    (notice,) = await chat_notices(second_reporter)
    assert first in notice and second in notice
    assert notice.startswith(f"การแจ้งเหตุ {second} ของคุณเป็นเหตุเดียวกับการแจ้งเหตุ {first}")
    assert second in (await operator.get(f"/console/incidents/{first}")).text, "the original lists it"

    itself = await operator.post(f"/console/incidents/{first}/duplicate", {"original": first})
    assert itself.status_code == 409
    unknown = await operator.post(f"/console/incidents/{first}/duplicate", {"original": "PKT-ZZZZ"})
    assert unknown.status_code == 409


async def test_an_internal_note_is_never_shown_to_the_reporter(console: Console) -> None:
    operator = await console.signed_in("somchai", Role.OPERATOR)
    reporter = console.reporter()
    reference = await report_sos(reporter, "help! fire at Patong")
    await operator.post(f"/console/incidents/{reference}/claim")
    noted = await operator.post(f"/console/incidents/{reference}/notes", {"text": "Fire engine 4 assigned"})
    assert noted.status_code == 200
    assert "Fire engine 4 assigned" in noted.text
    assert await chat_notices(reporter) == []
    status = await reporter.post("/api/v1/chat", json={"text": f"status {reference}"})
    replies = " ".join(r["text"] for r in status.json()["replies"])
    assert "Fire engine 4" not in replies
    assert "somchai" not in replies


async def test_an_illegal_transition_is_refused(console: Console) -> None:
    operator = await console.signed_in("somchai", Role.OPERATOR)
    reference = await report_sos(console.reporter(), "help! drowning at Kata")
    assert (
        await operator.post(f"/console/incidents/{reference}/status", {"status": "closed"})
    ).status_code == 200
    again = await operator.post(f"/console/incidents/{reference}/status", {"status": "acknowledged"})
    assert again.status_code == 409
    assert (
        await operator.post(f"/console/incidents/{reference}/status", {"status": "bogus"})
    ).status_code == 400


async def test_the_queue_filters_by_status_type_and_area(console: Console) -> None:
    operator = await console.signed_in("somchai", Role.OPERATOR)
    patong = await report_sos(console.reporter(), "help! drowning at Patong beach")
    kata = await report_sos(console.reporter(), "help! fire at Kata beach")
    everything = (await operator.get("/console/queue")).text
    assert patong in everything and kata in everything
    at_patong = (await operator.get("/console/queue?f=1&status=new&area=patong&age=1h")).text
    assert patong in at_patong and kata not in at_patong
    fires = (await operator.get("/console/queue?f=1&status=new&type=fire")).text
    assert kata in fires and patong not in fires
    points = (await operator.get("/console/map.geojson?f=1&status=new&area=kata")).json()
    assert [f["properties"]["reference"] for f in points["features"]] == [kata]
