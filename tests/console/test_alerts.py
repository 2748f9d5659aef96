"""Warnings from the console: reach before sending, issue, approval by a second person, cancel."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from actions.api_keys import Role
from actions.db.models import Alert, Delivery
from tests.bot.conftest import running_app
from tests.console.conftest import Console, console_settings, subscribe

PATONG = (7.896, 98.2955)
KATA = (7.8195, 98.2975)
PATONG_ONLY = json.dumps({"zones": ["patong"]})


def _form(area: str = PATONG_ONLY, **extra: str) -> dict[str, str]:
    return {
        "hazard": "rip_current",
        "severity": "Severe",
        "urgency": "Immediate",
        "certainty": "Observed",
        "area": area,
        "headline_th": "กระแสน้ำย้อนกลับที่ป่าตอง",
        "headline_en": "Rip currents at Patong",
        "instruction_th": "ห้ามลงเล่นน้ำ",
        "instruction_en": "Do not swim",
        "expires_in": "6",
        **extra,
    }


async def _seed_subscribers(console: Console) -> None:
    await subscribe(console.app, "line", "U-line-1", *PATONG)
    await subscribe(console.app, "telegram", "4242", *PATONG)
    await subscribe(console.app, "web", "web-1", *PATONG)
    await subscribe(console.app, "line", "U-line-kata", KATA[0] - 0.05, KATA[1])  # 6 km south of Kata


async def _deliveries(console: Console) -> int:
    async with console.app.state.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(Delivery)) or 0)


async def test_the_reach_is_counted_before_sending(console: Console) -> None:
    await _seed_subscribers(console)
    operator = await console.signed_in("somchai", Role.OPERATOR)
    reach = await operator.post("/console/alerts/reach", {"area": PATONG_ONLY})
    assert reach.status_code == 200
    assert "Reaches 3 subscriber(s)" in reach.text
    assert "2 of them on LINE or Telegram" in reach.text
    drawn = json.dumps({"circles": [{"lat": KATA[0] - 0.05, "lon": KATA[1], "radius_m": 1000}]})
    assert "Reaches 1 subscriber(s)" in (await operator.post("/console/alerts/reach", {"area": drawn})).text
    assert await _deliveries(console) == 0, "counting sends nothing"


async def test_issuing_enqueues_deliveries_and_shows_progress_and_the_cap_link(console: Console) -> None:
    await _seed_subscribers(console)
    operator = await console.signed_in("somchai", Role.OPERATOR)
    issued = await operator.post("/console/alerts", _form())
    assert issued.status_code == 204
    target = issued.headers["HX-Redirect"]
    page = await operator.get(target)
    assert page.status_code == 200
    alert_id = int(target.rsplit("/", 1)[1])
    assert f"/api/v1/alerts/{alert_id}/cap" in page.text
    assert await _deliveries(console) == 3
    progress = (await operator.get(f"/console/alerts/{alert_id}/progress")).text
    assert 'data-channel="line"' in progress and 'data-channel="telegram"' in progress
    assert [e.action for e in await console.audit() if e.action.startswith("alert.")] == ["alert.create"]

    cancelled = await operator.post(f"/console/alerts/{alert_id}/cancel")
    assert cancelled.status_code == 204
    async with console.app.state.sessions() as session:
        alert = await session.get(Alert, alert_id)
        assert alert is not None and alert.status == "cancelled"
    assert (await operator.post(f"/console/alerts/{alert_id}/cancel")).status_code == 409


async def test_a_bad_alert_is_refused_saying_why(console: Console) -> None:
    operator = await console.signed_in("somchai", Role.OPERATOR)
    no_area = await operator.post("/console/alerts", _form(area=""))
    assert no_area.status_code == 400
    assert "area" in no_area.text
    # A headline in Thai only and an instruction in Thai and English: which language is it in?
    unmatched = await operator.post("/console/alerts", _form(headline_en=""))
    assert unmatched.status_code == 400
    assert ">headline and instruction must be given in the same languages" in unmatched.text
    assert await _deliveries(console) == 0


async def test_with_approval_required_a_second_person_must_approve(
    database_url: str, dead_nlu_url: str
) -> None:
    settings = console_settings(database_url, dead_nlu_url, alert_approval_required=True)
    async with running_app(settings) as (app, client):
        import httpx

        console = Console(app, str(client.base_url), httpx.ASGITransport(app=app))
        await _seed_subscribers(console)
        writer = await console.signed_in("somchai", Role.OPERATOR)
        second = await console.signed_in("malee", Role.OPERATOR)
        other_agency = await console.signed_in("ddpm", Role.OPERATOR, agency="ddpm-phuket")

        submitted = await writer.post("/console/alerts", _form())
        assert submitted.status_code == 204
        assert submitted.headers["HX-Redirect"] == "/console/alerts"
        async with app.state.sessions() as session:
            assert await session.scalar(select(func.count()).select_from(Alert)) == 0
        assert await _deliveries(console) == 0

        listed = await second.get("/console/alerts")
        assert "Rip currents at Patong" in listed.text
        assert (await writer.post("/console/approvals/1/approve")).status_code == 409, "not one's own"
        assert (await other_agency.post("/console/approvals/1/approve")).status_code == 409
        approved = await second.post("/console/approvals/1/approve")
        assert approved.status_code == 204
        assert approved.headers["HX-Redirect"].startswith("/console/alerts/")
        assert await _deliveries(console) == 3
        assert [e.action for e in await console.audit() if e.action.startswith("alert.")] == [
            "alert.submit",
            "alert.create",
            "alert.approve",
        ]
        await console.aclose()
