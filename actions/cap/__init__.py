"""CAP 1.2 (OASIS Common Alerting Protocol): validate, read, relay and write alert messages."""

from actions.cap.reader import CapMessage, NotRelayed, OutsidePhuket, read_cap
from actions.cap.relay import RelayOutcome, relay_cap
from actions.cap.schema import CAP_NS, CapError, cap_schema, check_cap, parse_cap, parse_xml, validate_cap
from actions.cap.writer import CAP_CONTENT_TYPE, alert_to_cap, atom_feed, to_bytes

__all__ = [
    "CAP_CONTENT_TYPE",
    "CAP_NS",
    "CapError",
    "CapMessage",
    "NotRelayed",
    "OutsidePhuket",
    "RelayOutcome",
    "alert_to_cap",
    "atom_feed",
    "cap_schema",
    "check_cap",
    "parse_cap",
    "parse_xml",
    "read_cap",
    "relay_cap",
    "to_bytes",
    "validate_cap",
]
