"""Alerts in force, most severe and newest first."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from actions.alerts.areas import AlertArea, Circle
from actions.db.models import Alert
from actions.places.gazetteer import Gazetteer

SEVERITY_RANK = {"Extreme": 0, "Severe": 1, "Moderate": 2, "Minor": 3, "Unknown": 4}


def in_force_clause(now: datetime) -> ColumnElement[bool]:
    return (
        (Alert.status == "active")
        & (Alert.cancelled_at.is_(None))
        & (Alert.effective <= now)
        & or_(Alert.expires.is_(None), Alert.expires > now)
    )


async def alerts_in_force(
    session: AsyncSession,
    now: datetime,
    *,
    near: Circle | None = None,
    gazetteer: Gazetteer | None = None,
    hazard: str | None = None,
) -> list[Alert]:
    statement = select(Alert).where(in_force_clause(now))
    if hazard:
        statement = statement.where(Alert.hazard == hazard)
    alerts = list(await session.scalars(statement))
    if near is not None and gazetteer is not None:
        alerts = [a for a in alerts if AlertArea.from_json(a.area).touches(near, gazetteer)]
    alerts.sort(key=lambda a: (SEVERITY_RANK.get(a.severity, 5), -a.effective.timestamp()))
    return alerts
