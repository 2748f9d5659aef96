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
    per_channel = await delivery_counts_per_channel(session, alert_id)
    counts = {state.value: 0 for state in DeliveryStatus}
    for channel_counts in per_channel.values():
        for state, count in channel_counts.by_state.items():
            counts[state] += count
    return DeliveryCounts(alert_id, counts)


async def delivery_counts_per_channel(session: AsyncSession, alert_id: int) -> dict[str, DeliveryCounts]:
    """For one alert, each channel it has deliveries on with every state's count (zero included)."""
    statement = (
        select(Delivery.channel, Delivery.status, func.count())
        .where(Delivery.alert_id == alert_id)
        .group_by(Delivery.channel, Delivery.status)
    )
    per_channel: dict[str, DeliveryCounts] = {}
    for channel, state, count in await session.execute(statement):
        counts = per_channel.setdefault(
            channel, DeliveryCounts(alert_id, {state.value: 0 for state in DeliveryStatus})
        )
        counts.by_state[state] = int(count)
    return dict(sorted(per_channel.items()))
