"""Incidents: references, creation, events."""

from actions.incidents.references import new_reference, normalize_reference
from actions.incidents.repository import add_event, create_incident, get_incident

__all__ = ["add_event", "create_incident", "get_incident", "new_reference", "normalize_reference"]
