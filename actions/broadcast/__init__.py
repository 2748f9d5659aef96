"""Alert broadcasts: the delivery outbox, claims for delivery workers, and delivery progress."""

from actions.broadcast.message import alert_message
from actions.broadcast.outbox import CANNOT_PUSH, UNREACHABLE, alert_recipients, enqueue_deliveries
from actions.broadcast.progress import DeliveryCounts, delivery_counts, delivery_counts_per_channel
from actions.broadcast.queue import (
    Claim,
    ClaimScope,
    Outcome,
    Outgoing,
    claim_deliveries,
    claim_line_batch,
    extend_claims,
    has_due,
    mark_unreachable,
    record_outcomes,
    release,
)

__all__ = [
    "CANNOT_PUSH",
    "UNREACHABLE",
    "Claim",
    "ClaimScope",
    "DeliveryCounts",
    "Outcome",
    "Outgoing",
    "alert_message",
    "alert_recipients",
    "claim_deliveries",
    "claim_line_batch",
    "delivery_counts",
    "delivery_counts_per_channel",
    "enqueue_deliveries",
    "extend_claims",
    "has_due",
    "mark_unreachable",
    "record_outcomes",
    "release",
]
