"""The vocabulary of the system: languages, channels, place kinds, incident types and states."""

from __future__ import annotations

from enum import StrEnum

SUPPORTED_LANGUAGES: tuple[str, ...] = ("th", "en", "zh", "ru", "ko", "ja", "de", "fr")
DEFAULT_LANGUAGE = "en"


class Channel(StrEnum):
    WEB = "web"
    TERMINAL = "terminal"
    LINE = "line"
    TELEGRAM = "telegram"


class PlaceKind(StrEnum):
    SHELTER = "shelter"
    EVACUATION_POINT = "evacuation_point"
    HOSPITAL = "hospital"
    CLINIC = "clinic"
    POLICE = "police"
    TOURIST_POLICE = "tourist_police"


class PlaceCategory(StrEnum):
    """What a user asks for; each category covers one or more place kinds."""

    SHELTER = "shelter"
    HOSPITAL = "hospital"
    POLICE = "police"


CATEGORY_KINDS: dict[PlaceCategory, tuple[PlaceKind, ...]] = {
    PlaceCategory.SHELTER: (PlaceKind.EVACUATION_POINT, PlaceKind.SHELTER),
    PlaceCategory.HOSPITAL: (PlaceKind.HOSPITAL,),
    PlaceCategory.POLICE: (PlaceKind.TOURIST_POLICE, PlaceKind.POLICE),
}


class IncidentType(StrEnum):
    MEDICAL = "medical"
    DROWNING = "drowning"
    FIRE = "fire"
    CRIME = "crime"
    TRAFFIC_ACCIDENT = "traffic_accident"
    MISSING_PERSON = "missing_person"
    NATURAL_DISASTER = "natural_disaster"
    UNKNOWN = "unknown"


class IncidentStatus(StrEnum):
    NEW = "new"
    ACKNOWLEDGED = "acknowledged"
    DISPATCHED = "dispatched"
    RESOLVED = "resolved"
    CLOSED = "closed"
    CANCELLED = "cancelled"


OPEN_STATUSES = frozenset({IncidentStatus.NEW, IncidentStatus.ACKNOWLEDGED, IncidentStatus.DISPATCHED})

ALLOWED_TRANSITIONS: dict[IncidentStatus, frozenset[IncidentStatus]] = {
    IncidentStatus.NEW: frozenset(
        {
            IncidentStatus.ACKNOWLEDGED,
            IncidentStatus.DISPATCHED,
            IncidentStatus.RESOLVED,
            IncidentStatus.CLOSED,
            IncidentStatus.CANCELLED,
        }
    ),
    IncidentStatus.ACKNOWLEDGED: frozenset(
        {
            IncidentStatus.DISPATCHED,
            IncidentStatus.RESOLVED,
            IncidentStatus.CLOSED,
            IncidentStatus.CANCELLED,
        }
    ),
    IncidentStatus.DISPATCHED: frozenset(
        {IncidentStatus.RESOLVED, IncidentStatus.CLOSED, IncidentStatus.CANCELLED}
    ),
    IncidentStatus.RESOLVED: frozenset({IncidentStatus.CLOSED}),
    IncidentStatus.CLOSED: frozenset(),
    IncidentStatus.CANCELLED: frozenset(),
}


class EventKind(StrEnum):
    CREATED = "created"
    LOCATION = "location"
    DETAILS = "details"
    PHOTO = "photo"
    STATUS_CHANGED = "status_changed"
    NOTE = "note"
    # Another SOS report of a client over the per-hour cap on new incidents, kept with this one.
    GROUPED_REPORT = "grouped_report"
    # Marked as the same emergency as an earlier report (`data["of"]` names it).
    DUPLICATE = "duplicate"
    # Console only: responders' own notes and who works on it; never shown to the reporter.
    INTERNAL_NOTE = "internal_note"
    CLAIMED = "claimed"
    RELEASED = "released"


# Events for responders' eyes: the reporter's "my report" history leaves them out.
INTERNAL_EVENT_KINDS = frozenset({EventKind.INTERNAL_NOTE, EventKind.CLAIMED, EventKind.RELEASED})


class MessageKind(StrEnum):
    """What a message of the conversation with a reporter is (`incident_messages.kind`)."""

    # From the reporter.
    TEXT = "text"
    LOCATION = "location"
    PHOTO = "photo"
    # To the reporter: the bot's answer, a notice (status change, note), a responder's message.
    REPLY = "reply"
    NOTICE = "notice"
    PHRASE = "phrase"
    FREE_TEXT = "free_text"


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"
