"""Incidents: references, creation, events, status changes, notes, search."""

from actions.incidents.caps import IncidentCap, incident_to_join
from actions.incidents.conversation import ConversationEntry, conversation, record_turn
from actions.incidents.lifecycle import InvalidTransition, StatusChange, change_status
from actions.incidents.notes import add_note
from actions.incidents.references import new_reference, normalize_reference
from actions.incidents.repository import add_event, create_incident, get_incident
from actions.incidents.search import (
    IncidentFilter,
    IncidentPage,
    incident_by_reference,
    photo_of,
    photos_of,
    search_incidents,
)

__all__ = [
    "ConversationEntry",
    "IncidentCap",
    "IncidentFilter",
    "IncidentPage",
    "InvalidTransition",
    "StatusChange",
    "add_event",
    "add_note",
    "change_status",
    "conversation",
    "create_incident",
    "get_incident",
    "incident_by_reference",
    "incident_to_join",
    "new_reference",
    "normalize_reference",
    "photo_of",
    "photos_of",
    "record_turn",
    "search_incidents",
]
