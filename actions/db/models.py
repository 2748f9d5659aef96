"""Typed tables of the incident database.

Enumerated columns hold the values of the `StrEnum`s in :mod:`actions.domain`; they are plain
strings in the database so that adding a value never needs a migration on PostgreSQL.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from actions.db.base import Base, utcnow


class User(Base):
    """Somebody who talks to the bot on one channel (a LINE user, a Telegram chat, a web session)."""

    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("channel", "channel_user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    channel_user_id: Mapped[str] = mapped_column(String(128))
    display_name: Mapped[str | None] = mapped_column(String(255))
    language: Mapped[str | None] = mapped_column(String(8))
    # How `language` was learnt: "explicit" (the user chose it), "message" or "hint".
    language_source: Mapped[str | None] = mapped_column(String(16))
    channel_language_hint: Mapped[str | None] = mapped_column(String(16))
    last_lat: Mapped[float | None] = mapped_column(Float)
    last_lon: Mapped[float | None] = mapped_column(Float)
    last_location_at: Mapped[datetime | None]
    # False once the user unfollowed or blocked the bot: no delivery may reach them.
    reachable: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Place(Base):
    """A shelter, evacuation point, hospital or police station."""

    __tablename__ = "places"
    __table_args__ = (Index("ix_places_kind_lat", "kind", "lat"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(24))
    names: Mapped[dict[str, str]]
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    phone: Mapped[str | None] = mapped_column(String(64))
    area: Mapped[str | None] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(255))
    verified: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Incident(Base):
    """An emergency reported by a user; `reference` is what the user and responders quote."""

    __tablename__ = "incidents"
    __table_args__ = (
        Index("ix_incidents_status_created", "status", "created_at"),
        Index("ix_incidents_client_key_created", "client_key", "created_at"),
        # The console's queue (newest first, by type) and its poller (what changed since).
        Index("ix_incidents_created_at", "created_at"),
        Index("ix_incidents_type_created", "incident_type", "created_at"),
        Index("ix_incidents_updated_at", "updated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    incident_type: Mapped[str] = mapped_column(String(24))
    status: Mapped[str] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(8))
    raw_text: Mapped[str | None] = mapped_column(Text)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    location_text: Mapped[str | None] = mapped_column(String(255))
    # Reported while the reporter was above the message rate (see bot/abuse): still an SOS.
    rate_limited: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # A pseudonymous key of the client address the report came from (web chat only), for the
    # per-address cap on new incidents; never the address itself.
    client_key: Mapped[str | None] = mapped_column(String(64))
    # The console account working on it (see actions.console.incidents), and since when.
    claimed_by_id: Mapped[int | None] = mapped_column(ForeignKey("console_users.id"))
    claimed_at: Mapped[datetime | None]
    # Set when responders found it is the same emergency as an earlier report.
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    user: Mapped[User] = relationship(lazy="raise")
    events: Mapped[list[IncidentEvent]] = relationship(
        back_populates="incident",
        order_by="IncidentEvent.id",
        lazy="raise",
        cascade="all, delete-orphan",
    )


class IncidentEvent(Base):
    """One thing that happened to an incident: created, located, detailed, photo, status change."""

    __tablename__ = "incident_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    actor: Mapped[str] = mapped_column(String(128))
    text: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    incident: Mapped[Incident] = relationship(back_populates="events", lazy="raise")


class IncidentAttachment(Base):
    """A photo (or other file) a reporter sent, kept with the incident for responders."""

    __tablename__ = "incident_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("incident_events.id"))
    content_type: Mapped[str] = mapped_column(String(64))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class UserNotice(Base):
    """A message for a user on a channel that cannot push (the web chat): shown on the next turn."""

    __tablename__ = "user_notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None]


class Alert(Base):
    """A public warning (CAP 1.2 semantics): texts per language, an area, a validity window."""

    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(primary_key=True)
    identifier: Mapped[str] = mapped_column(String(255), unique=True)
    sender: Mapped[str] = mapped_column(String(255))
    agency: Mapped[str] = mapped_column(String(255))
    msg_type: Mapped[str] = mapped_column(String(16), default="Alert")
    status: Mapped[str] = mapped_column(String(16), default="active")
    hazard: Mapped[str] = mapped_column(String(24))
    severity: Mapped[str] = mapped_column(String(16))
    urgency: Mapped[str] = mapped_column(String(16))
    certainty: Mapped[str] = mapped_column(String(16))
    # {"zones": [gazetteer ids], "circle": {"lat", "lon", "radius_m"}, "polygon": [[lat, lon], ...]}
    area: Mapped[dict[str, Any]]
    headline: Mapped[dict[str, str]]
    instruction: Mapped[dict[str, str]]
    description: Mapped[dict[str, str]] = mapped_column(default=dict)
    effective: Mapped[datetime]
    expires: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    references: Mapped[str | None] = mapped_column(Text)
    # CAP `sent` of the current version: what later messages quote in their <references>.
    sent: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Subscription(Base):
    """A user's wish to receive alerts for a named area or a circle around a point."""

    __tablename__ = "subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    area_id: Mapped[str | None] = mapped_column(String(64))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    radius_m: Mapped[float] = mapped_column(Float)
    label: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Delivery(Base):
    """One alert to one user: the outbox row a delivery worker claims and sends."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("alert_id", "user_id"),
        # A worker's claims: a channel's due rows, its keyed LINE batches, a batch by its key.
        # (No index leads with status alone: SQLite would pick it and scan every pending row.)
        Index("ix_deliveries_channel_status_batch", "channel", "status", "batch_key"),
        Index("ix_deliveries_batch_key", "batch_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    channel: Mapped[str] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    batch_key: Mapped[str | None] = mapped_column(String(64))
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_at: Mapped[datetime | None]
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ConversationState(Base):
    """Where a user is in a multi-turn flow; a flow idle past `expires_at` is forgotten."""

    __tablename__ = "conversation_states"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    flow: Mapped[str | None] = mapped_column(String(32))
    step: Mapped[str | None] = mapped_column(String(32))
    slots: Mapped[dict[str, Any]] = mapped_column(default=dict)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    expires_at: Mapped[datetime | None]


class InboundMessage(Base):
    """A message id already handled: redelivered webhooks and retried posts are answered once."""

    __tablename__ = "inbound_messages"
    __table_args__ = (UniqueConstraint("channel", "message_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    message_id: Mapped[str] = mapped_column(String(128))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The replies we gave, so a redelivery can be answered the same way without acting twice.
    response: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ApiKey(Base):
    """A key of the agency API; only its SHA-256 is stored, `prefix` names it without revealing it."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    prefix: Mapped[str] = mapped_column(String(32), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    agency: Mapped[str] = mapped_column(String(128))
    role: Mapped[str] = mapped_column(String(16))
    created_by: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]


class AuditLog(Base):
    """One write made through the agency API or its CLI: who, what, on what, when."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    actor: Mapped[str] = mapped_column(String(255))
    action: Mapped[str] = mapped_column(String(64), index=True)
    target: Mapped[str] = mapped_column(String(255))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class ServerSecret(Base):
    """A secret the server generated for itself (when none is configured), shared by its processes."""

    __tablename__ = "server_secrets"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Feed(Base):
    """A CAP feed the relay polls: an Atom or RSS index of CAP messages, or one CAP document."""

    __tablename__ = "feeds"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(2000), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    interval_s: Mapped[int] = mapped_column(Integer)
    # The validators of the last complete fetch, sent back as If-None-Match / If-Modified-Since.
    etag: Mapped[str | None] = mapped_column(String(1024))
    last_modified: Mapped[str | None] = mapped_column(String(255))
    next_poll_at: Mapped[datetime] = mapped_column(index=True)
    # Failed polls in a row: the backoff grows with them.
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_polled_at: Mapped[datetime | None]
    last_success_at: Mapped[datetime | None]
    last_result: Mapped[str | None] = mapped_column(Text)
    # Entries of the index (id and date) already dealt with: their CAP documents are not fetched again.
    entries_seen: Mapped[list[str]] = mapped_column(default=list)
    # The last errors and notes, newest last: [{"at": ISO time, "level": "error"|"note", "text": ...}].
    log: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReceivedCapMessage(Base):
    """A CAP message received (from a feed or the API) and what became of it: acted on once only."""

    __tablename__ = "received_cap_messages"
    __table_args__ = (UniqueConstraint("sender", "identifier"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sender: Mapped[str] = mapped_column(String(255))
    identifier: Mapped[str] = mapped_column(String(255))
    # CAP `sent` as the message gave it.
    sent: Mapped[str] = mapped_column(String(64))
    msg_type: Mapped[str] = mapped_column(String(16))
    # "relayed", or "skipped" (not for Phuket's public now) or "refused" (it could not be acted on).
    outcome: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    feed_id: Mapped[int | None] = mapped_column(ForeignKey("feeds.id", ondelete="SET NULL"), index=True)
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id"))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class IncidentMessage(Base):
    """One message of the conversation with an incident's reporter, as the console shows it.

    Inbound: what the reporter sent while the incident was open. Outbound: the bot's replies, and
    what responders sent (notices, phrasebook messages, free text), linked to the `user_notices`
    row that carries it to the reporter (so the console can say when it was delivered).
    """

    __tablename__ = "incident_messages"
    __table_args__ = (Index("ix_incident_messages_incident_id", "incident_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"))
    # "in" (from the reporter) or "out" (to the reporter).
    direction: Mapped[str] = mapped_column(String(8))
    # actions.domain.MessageKind
    kind: Mapped[str] = mapped_column(String(16))
    text: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(8))
    phrase_id: Mapped[str | None] = mapped_column(String(64))
    # Who wrote it: the reporter's channel id, "bot", or a console account (`console:<username>`).
    actor: Mapped[str] = mapped_column(String(255))
    notice_id: Mapped[int | None] = mapped_column(ForeignKey("user_notices.id"))
    attachment_id: Mapped[int | None] = mapped_column(ForeignKey("incident_attachments.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    notice: Mapped[UserNotice | None] = relationship(lazy="raise")


class ConsoleUser(Base):
    """An account of the agency console: a person of an agency, with a role and a password hash."""

    __tablename__ = "console_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    agency: Mapped[str] = mapped_column(String(128))
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(255))
    # The console's language for this person (th or en).
    language: Mapped[str] = mapped_column(String(8), default="th")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Consecutive failed sign-ins; at the limit the account is locked until `locked_until`.
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None]
    last_login_at: Mapped[datetime | None]
    created_by: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ConsoleSession(Base):
    """A signed-in browser: only the SHA-256 of its cookie is stored, with its CSRF token and expiry."""

    __tablename__ = "console_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("console_users.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)

    user: Mapped[ConsoleUser] = relationship(lazy="raise")


class AlertApproval(Base):
    """An alert composed in the console waiting for a second person (ALERT_APPROVAL_REQUIRED)."""

    __tablename__ = "alert_approvals"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The AlertDraft as JSON; for an update, the alert it replaces.
    draft: Mapped[dict[str, Any]]
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id"))
    agency: Mapped[str] = mapped_column(String(128))
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("console_users.id"))
    # pending, approved, rejected
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("console_users.id"))
    decided_at: Mapped[datetime | None]
    # The alert issued (or updated) on approval.
    result_alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
