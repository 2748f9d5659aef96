"""What an action handler gets: the database session, the user, the message and the reply language."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from actions.db.models import ConversationState, User
from actions.i18n import Translator
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
    flow_timeout_minutes: int = 30

    def t(self, key: str, **values: Any) -> str:
        return self.translator(self.language, key, **values)

    def button(self, key: str, payload: str) -> Button:
        return Button(title=self.t(key), payload=payload)
