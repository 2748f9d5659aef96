"""The channel-neutral message every input channel produces and the result every output renders."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from actions.places.geo import Point
from actions.replies import Reply


@dataclass(frozen=True, slots=True)
class IncomingMessage:
    """One thing a user sent: text, a location, or a photo (bytes already fetched by the channel).

    `message_id` is the channel's own id (LINE `webhookEventId`, Telegram `update_id`, or the
    web client's); a message id seen before is answered from the record and never acted on twice.
    """

    channel: str
    user_id: str
    text: str | None = None
    location: Point | None = None
    photo: bytes | None = None
    photo_content_type: str | None = None
    message_id: str | None = None
    language_hint: str | None = None
    display_name: str | None = None
    # Web chat: a pseudonymous key of the client's address (per-address limits), never the address.
    client_key: str | None = None
    # When it arrived, if not now (a report replayed from the SOS journal keeps its time).
    received_at: datetime | None = None


class NotRecorded(RuntimeError):
    """The database is down and the message was not kept: the platform must deliver it again.

    Raised by a webhook channel after it sent the outage answer (the numbers), so that the
    webhook answers 503 and LINE or Telegram redelivers the event once the database is back.
    """


@dataclass(frozen=True, slots=True)
class DialogueResult:
    replies: tuple[Reply, ...]
    language: str
    incident_reference: str | None = None
    duplicate: bool = False
    degraded: bool = False
    intent: str | None = None
    # The database was down: the replies say so (with the numbers); `journaled` when the message
    # was kept in the SOS journal and will reach the database when it is back.
    unavailable: bool = False
    journaled: bool = False
    extra: dict[str, str] = field(default_factory=dict)
