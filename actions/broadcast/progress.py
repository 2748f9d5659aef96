"""How far the delivery of an alert has come: its deliveries counted by state."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from actions.db.models import Delivery
from actions.domain import DeliveryStatus

FINAL_STATES = frozenset({DeliveryStatus.SENT, DeliveryStatus.FAILED, DeliveryStatus.SKIPPED})


@dataclass(frozen=True, slots=True)
class DeliveryCounts:
    alert_id: int
    by_state: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.by_state.values())

    @property
    def finished(self) -> int:
        """Deliveries in a final state (sent, failed or skipped)."""
        return sum(count for state, count in self.by_state.items() if state in FINAL_STATES)

    @property
    def done(self) -> bool:
        return self.finished == self.total


async def delivery_counts(session: AsyncSession, alert_id: int) -> DeliveryCounts:
    """Every state with its count (zero included), for one alert."""
    counts = {state.value: 0 for state in DeliveryStatus}
    statement = (
        select(Delivery.status, func.count()).where(Delivery.alert_id == alert_id).group_by(Delivery.status)
    )
    for state, count in await session.execute(statement):
        counts[state] = int(count)
    return DeliveryCounts(alert_id, counts)
