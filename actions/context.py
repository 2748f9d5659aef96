"""What an action handler gets: the database session, the user, the message and the reply language."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from actions.db.models import ConversationState, Incident, User
from actions.i18n import Translator
from actions.incidents.caps import IncidentCap
from actions.notify import Notifier
from actions.places.gazetteer import Gazetteer
from actions.places.geo import Point
from actions.replies import Button


@dataclass(slots=True)
class ActionContext:
    session: AsyncSession
    user: User
    state: ConversationState
    language: str
    translator: Translator
    gazetteer: Gazetteer
    now: datetime
    text: str | None = None
    location: Point | None = None
    entities: dict[str, str] = field(default_factory=dict)
    photo: bytes | None = None
    photo_content_type: str | None = None
    flow_timeout_minutes: int = 30
    notifier: Notifier | None = None
    # The sender is above the message rate (an SOS is still recorded, marked as such).
    rate_limited: bool = False
    # Web chat: the pseudonymous key of the client's address.
    client_key: str | None = None
    incident_cap: IncidentCap = field(default_factory=IncidentCap)
    # Run by the dialogue once the transaction is committed (never before: nobody is told of
    # something that could still be rolled back).
    after_commit: list[Callable[[], None]] = field(default_factory=list)

    def t(self, key: str, /, **values: Any) -> str:
        return self.translator(self.language, key, **values)

    def button(self, key: str, payload: str) -> Button:
        return Button(title=self.t(key), payload=payload)

    def notify_responders(self, incident: Incident, event: str) -> None:
        if self.notifier is not None:
            notifier = self.notifier
            self.after_commit.append(lambda: notifier.incident_changed(incident, event))
