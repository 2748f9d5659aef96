"""The schema comes from Alembic on both databases, and the incident rules hold on both."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import inspect, select

from actions.db.models import Incident, IncidentEvent, User
from actions.domain import IncidentType
from actions.incidents import create_incident, normalize_reference

TABLES = {
    "users",
    "places",
    "incidents",
    "incident_events",
    "alerts",
    "subscriptions",
    "deliveries",
    "conversation_states",
    "inbound_messages",
    "feeds",
    "received_cap_messages",
    "server_secrets",
    "alembic_version",
}


async def test_migrations_create_every_table(engine):
    async with engine.connect() as connection:
        names = await connection.run_sync(lambda sync: set(inspect(sync).get_table_names()))
    assert names >= TABLES


async def test_incidents_get_unique_readable_references_and_a_created_event(sessions):
    now = datetime.now(UTC)
    async with sessions() as session:
        user = User(channel="web", channel_user_id="reporter")
        session.add(user)
        await session.flush()
        references = set()
        for _ in range(25):
            incident = await create_incident(
                session,
                user=user,
                incident_type=IncidentType.FIRE,
                language="en",
                raw_text="fire!",
                now=now,
                actor="web:reporter",
            )
            references.add(incident.reference)
        await session.commit()
    assert len(references) == 25
    assert all(normalize_reference(ref.lower().replace("-", " ")) == ref for ref in references)
    async with sessions() as session:
        events = (await session.scalars(select(IncidentEvent))).all()
        stored = (await session.scalars(select(Incident))).first()
    assert len(events) == 25 and {e.kind for e in events} == {"created"}
    assert stored is not None and stored.created_at.tzinfo is not None


def test_reference_normalization():
    assert normalize_reference("status of pkt 7k3q?") == "PKT-7K3Q"
    assert normalize_reference("PKT-7K3Q") == "PKT-7K3Q"
    assert normalize_reference("PKT-0000") is None  # 0 is not in the alphabet
    assert normalize_reference("no reference here") is None
