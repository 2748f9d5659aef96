"""Alerts under test: the agency API app (keys of every role), JSON drafts, CAP samples, subscribers."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from lxml import etree
from sqlalchemy import select

from actions.alerts.references import PHUKET_OFFSET, cap_time
from actions.cap import CAP_NS
from actions.db.base import utcnow
from actions.db.models import Alert, Delivery, Subscription, User
from tests.api.conftest import Api, api, dead_nlu_url
from tests.bot.channels.conftest import telegram_api

__all__ = ["Api", "api", "dead_nlu_url", "telegram_api"]  # the fixtures, shared with tests/api and bot

SAMPLES = Path(__file__).parent / "samples"
TMD_SAMPLE = SAMPLES / "tmd_tsunami_th_en.xml"
# One English <info>, a polygon along Phuket's Andaman coast.
EN_ONLY_SAMPLE = SAMPLES / "tsunami_en_only.xml"
NS = {"cap": CAP_NS}


def alert_body(**overrides: Any) -> dict[str, Any]:
    """A valid JSON alert: a storm for Patong in Thai and English, in force for three hours."""
    now = utcnow()
    body: dict[str, Any] = {
        "hazard": "storm",
        "severity": "Severe",
        "urgency": "Expected",
        "certainty": "Likely",
        "area": {"zones": ["patong"]},
        "headline": {"th": "พายุฝนฟ้าคะนองที่ป่าตอง", "en": "Thunderstorm over Patong"},
        "instruction": {"th": "หลีกเลี่ยงชายหาด", "en": "Stay off the beach"},
        "effective": (now - timedelta(minutes=1)).isoformat(),
        "expires": (now + timedelta(hours=3)).isoformat(),
    }
    body.update(overrides)
    return body


def tmd_sample(
    now: datetime | None = None,
    *,
    identifier: str | None = None,
    msg_type: str | None = None,
    references: str | None = None,
    headline_en: str | None = None,
    severity: str | None = None,
    path: Path = TMD_SAMPLE,
) -> bytes:
    """The TMD-style sample (or another in `path`), sent now and in force for six hours, with the
    changes asked for."""
    now = now or utcnow()
    root = etree.parse(str(path)).getroot()
    root.find("cap:sent", NS).text = cap_time(now)
    for info in root.findall("cap:info", NS):
        info.find("cap:effective", NS).text = cap_time(now - timedelta(minutes=2))
        info.find("cap:expires", NS).text = cap_time(now + timedelta(hours=6))
        if severity:
            info.find("cap:severity", NS).text = severity
        if headline_en and info.findtext("cap:language", namespaces=NS) == "en-US":
            info.find("cap:headline", NS).text = headline_en
    if identifier:
        root.find("cap:identifier", NS).text = identifier
    if msg_type:
        root.find("cap:msgType", NS).text = msg_type
    if references:
        element = etree.Element(f"{{{CAP_NS}}}references")
        element.text = references
        root.find("cap:scope", NS).addnext(element)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def cap_triple(document: bytes) -> str:
    """``sender,identifier,sent`` of a CAP document: what a later message references."""
    root = etree.fromstring(document)
    return ",".join(
        root.findtext(f"cap:{name}", namespaces=NS) or "" for name in ("sender", "identifier", "sent")
    )


async def post_cap(api: Api, document: bytes, role: str = "operator") -> Any:
    return await api.post(
        "/api/v1/alerts/cap", role=role, content=document, headers={"content-type": "application/cap+xml"}
    )


async def add_subscriber(app: FastAPI, name: str, *, area_id: str, lat: float, lon: float) -> int:
    """A LINE user subscribed to an area (2 km around its centre); their user id."""
    async with app.state.sessions() as session:
        user = User(channel="line", channel_user_id=name, language="en")
        session.add(user)
        await session.flush()
        session.add(
            Subscription(user_id=user.id, area_id=area_id, lat=lat, lon=lon, radius_m=2000, label=area_id)
        )
        await session.commit()
        return user.id


async def delivered_to(app: FastAPI, alert_id: int) -> set[int]:
    """The users an alert has a delivery row for (whatever the worker has done with it since)."""
    async with app.state.sessions() as session:
        rows = await session.scalars(select(Delivery.user_id).where(Delivery.alert_id == alert_id))
        return set(rows)


async def alert_row(app: FastAPI, alert_id: int) -> Alert:
    async with app.state.sessions() as session:
        alert = await session.get(Alert, alert_id)
        assert alert is not None
        return alert


# An English-only CAP message built for a test ---------------------------------------------------

PATONG_POLYGON_AREA = (
    "<area><areaDesc>Patong Beach</areaDesc>"
    "<polygon>7.91,98.28 7.91,98.31 7.88,98.31 7.88,98.28 7.91,98.28</polygon></area>"
)


def buddhist_era(moment: datetime) -> str:
    """A CAP time as a Thai system stamps it: the Buddhist Era year (AD + 543), Phuket time."""
    local = moment.astimezone(PHUKET_OFFSET).replace(microsecond=0)
    return f"{local.year + 543}{local.isoformat()[4:]}"


def _time(value: datetime | str) -> str:
    return value if isinstance(value, str) else cap_time(value)


def cap_document(
    *,
    identifier: str = "TMD-TEST-0001",
    sender: str = "warning@tmd.go.th",
    sent: datetime | str | None = None,
    status: str = "Actual",
    msg_type: str = "Alert",
    scope: str = "Public",
    references: str | None = None,
    event: str = "Tsunami",
    severity: str = "Extreme",
    headline: str = "Tsunami warning for Patong",
    instruction: str = "Move to high ground now",
    areas: str = PATONG_POLYGON_AREA,
    effective: datetime | str | None = None,
    expires: datetime | str | None = None,
) -> bytes:
    """A CAP 1.2 message with one English <info>; sent now, in force for six hours unless told."""
    now = utcnow()
    sent = sent or now
    effective = effective or now - timedelta(minutes=1)
    expires = expires or now + timedelta(hours=6)
    referencing = f"<references>{references}</references>" if references else ""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="{CAP_NS}">
  <identifier>{identifier}</identifier>
  <sender>{sender}</sender>
  <sent>{_time(sent)}</sent>
  <status>{status}</status>
  <msgType>{msg_type}</msgType>
  <scope>{scope}</scope>
  {referencing}
  <info>
    <language>en-US</language>
    <category>Geo</category>
    <event>{event}</event>
    <urgency>Immediate</urgency>
    <severity>{severity}</severity>
    <certainty>Likely</certainty>
    <effective>{_time(effective)}</effective>
    <expires>{_time(expires)}</expires>
    <senderName>Thai Meteorological Department</senderName>
    <headline>{headline}</headline>
    <instruction>{instruction}</instruction>
    {areas}
  </info>
</alert>
""".encode()
