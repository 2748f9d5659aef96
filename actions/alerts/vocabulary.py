"""What an alert says about its hazard: our hazard types and the CAP 1.2 value lists."""

from __future__ import annotations

from enum import StrEnum


class Hazard(StrEnum):
    """The hazards the bot names in its own words (``hazard.<value>`` in the catalogs)."""

    TSUNAMI = "tsunami"
    STORM = "storm"
    FLOOD = "flood"
    LANDSLIDE = "landslide"
    RIP_CURRENT = "rip_current"
    FIRE = "fire"
    PUBLIC_ORDER = "public_order"
    OTHER = "other"


class Severity(StrEnum):
    """CAP 1.2 ``<severity>``."""

    EXTREME = "Extreme"
    SEVERE = "Severe"
    MODERATE = "Moderate"
    MINOR = "Minor"
    UNKNOWN = "Unknown"


class Urgency(StrEnum):
    """CAP 1.2 ``<urgency>``."""

    IMMEDIATE = "Immediate"
    EXPECTED = "Expected"
    FUTURE = "Future"
    PAST = "Past"
    UNKNOWN = "Unknown"


class Certainty(StrEnum):
    """CAP 1.2 ``<certainty>``."""

    OBSERVED = "Observed"
    LIKELY = "Likely"
    POSSIBLE = "Possible"
    UNLIKELY = "Unlikely"
    UNKNOWN = "Unknown"


class AlertStatus(StrEnum):
    """`Alert.status`: only ``active`` alerts can be in force."""

    ACTIVE = "active"
    CANCELLED = "cancelled"


class MsgType(StrEnum):
    """CAP 1.2 ``<msgType>`` values we act on (Ack and Error carry no warning)."""

    ALERT = "Alert"
    UPDATE = "Update"
    CANCEL = "Cancel"
