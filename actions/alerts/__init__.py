"""Public warnings: their content, areas, which are in force, and their CAP 1.2 vocabulary.

The write side (issue, update, cancel) is `actions.alerts.service`; it is not re-exported here
because it depends on the broadcast outbox, which itself imports this package.
"""

from actions.alerts.areas import AlertArea, Circle
from actions.alerts.draft import AlertDraft, AlertValidationError, AreaDraft, CircleDraft, FieldError
from actions.alerts.repository import SEVERITY_RANK, alerts_in_force
from actions.alerts.vocabulary import AlertStatus, Certainty, Hazard, MsgType, Severity, Urgency

__all__ = [
    "SEVERITY_RANK",
    "AlertArea",
    "AlertDraft",
    "AlertStatus",
    "AlertValidationError",
    "AreaDraft",
    "Certainty",
    "Circle",
    "CircleDraft",
    "FieldError",
    "Hazard",
    "MsgType",
    "Severity",
    "Urgency",
    "alerts_in_force",
]
