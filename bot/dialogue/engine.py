"""The dialogue: understand a message, choose the reply language, run the action, commit, answer."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from actions.context import ActionContext
from actions.db.models import InboundMessage, Incident, User
from actions.domain import DEFAULT_LANGUAGE, PlaceCategory
from actions.flows import Flow, active_flow
from actions.handlers import emergency, menu, numbers, places
from actions.handlers.location import named_area, remember_location
from actions.i18n import Translator
from actions.places.gazetteer import Gazetteer
from actions.replies import Reply
from actions.users import get_or_create_user, get_state
from bot.channels.base import DialogueResult, IncomingMessage
from bot.dialogue.understanding import UNSURE_EMERGENCY, Understanding, understand
from bot.nlu import NluClient

logger = logging.getLogger(__name__)

Handler = Callable[[ActionContext], Awaitable[list[Reply]]]

_PLACE_INTENTS = {
    "find_shelter": PlaceCategory.SHELTER,
    "find_hospital": PlaceCategory.HOSPITAL,
    "find_police": PlaceCategory.POLICE,
}
# Inside an SOS these do not interrupt: the message is more about the same emergency.
_SOS_CONTINUES = {
    None,
    "report_emergency",
    "out_of_scope",
    "affirm",
    "deny",
    "thank",
    UNSURE_EMERGENCY,
}


class Dialogue:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        nlu: NluClient,
        translator: Translator,
        gazetteer: Gazetteer,
        *,
        confidence_threshold: float = 0.5,
        language_confidence_threshold: float = 0.7,
        flow_timeout_minutes: int = 30,
    ) -> None:
        self._sessions = sessions
        self._nlu = nlu
        self._translator = translator
        self._gazetteer = gazetteer
        self._confidence_threshold = confidence_threshold
        self._language_threshold = language_confidence_threshold
        self._flow_timeout_minutes = flow_timeout_minutes
        self._handlers: dict[str, Handler] = {
            "greet": menu.greet,
            "help": menu.show_help,
            "goodbye": menu.goodbye,
            "thank": menu.thank,
            "emergency_numbers": numbers.emergency_numbers,
            "out_of_scope": menu.not_understood,
        }

    async def handle(self, message: IncomingMessage) -> DialogueResult:
        # Understanding first, outside any transaction: the NLU call must not hold database locks.
        understanding = (
            await understand(message.text, self._nlu, confidence_threshold=self._confidence_threshold)
            if message.text
            else Understanding(None, 0.0)
        )
        async with self._sessions() as session:
            try:
                return await self._handle(session, message, understanding)
            except IntegrityError:
                # The same message id raced in twice; the first one's answer stands.
                await session.rollback()
                if message.message_id and (prior := await self._prior(session, message)):
                    return prior
                raise

    async def _prior(self, session: AsyncSession, message: IncomingMessage) -> DialogueResult | None:
        record = await session.scalar(
            select(InboundMessage).where(
                InboundMessage.channel == message.channel,
                InboundMessage.message_id == message.message_id,
            )
        )
        if record is None or record.response is None:
            return None
        response = record.response
        return DialogueResult(
            replies=tuple(Reply.from_dict(item) for item in response.get("replies", ())),
            language=str(response.get("language", DEFAULT_LANGUAGE)),
            incident_reference=response.get("incident_reference"),
            duplicate=True,
        )

    async def _handle(
        self, session: AsyncSession, message: IncomingMessage, understanding: Understanding
    ) -> DialogueResult:
        if message.message_id and (prior := await self._prior(session, message)):
            logger.info("message %s/%s seen before", message.channel, message.message_id)
            return prior
        user = await get_or_create_user(
            session,
            message.channel,
            message.user_id,
            display_name=message.display_name,
            language_hint=message.language_hint,
        )
        inbound: InboundMessage | None = None
        if message.message_id:
            inbound = InboundMessage(channel=message.channel, message_id=message.message_id, user_id=user.id)
            session.add(inbound)
            await session.flush()
        state = await get_state(session, user)
        now = datetime.now(UTC)
        ctx = ActionContext(
            session=session,
            user=user,
            state=state,
            language=self._choose_language(user, understanding),
            translator=self._translator,
            gazetteer=self._gazetteer,
            now=now,
            text=message.text,
            location=message.location,
            entities=dict(understanding.entities),
            flow_timeout_minutes=self._flow_timeout_minutes,
        )
        replies = await self._dispatch(ctx, understanding)
        reference = None
        if state.incident_id is not None:
            incident = await session.get(Incident, state.incident_id)
            reference = incident.reference if incident else None
        result = DialogueResult(
            replies=tuple(replies),
            language=ctx.language,
            incident_reference=reference,
            degraded=understanding.degraded,
            intent=understanding.intent,
        )
        if inbound is not None:
            inbound.response = {
                "replies": [reply.to_dict() for reply in replies],
                "language": ctx.language,
                "incident_reference": reference,
            }
        # Committed before the channel answers: an acknowledged report is never lost.
        await session.commit()
        return result

    def _choose_language(self, user: User, understanding: Understanding) -> str:
        supported = self._translator.supports
        if user.language_source == "explicit" and supported(user.language):
            return str(user.language)
        if understanding.language_confidence >= self._language_threshold and supported(
            understanding.language
        ):
            user.language = understanding.language
            user.language_source = "message"
            return str(understanding.language)
        if supported(user.language):
            return str(user.language)
        hint = (user.channel_language_hint or "").split("-")[0].lower()
        if supported(hint):
            return hint
        return DEFAULT_LANGUAGE

    async def _dispatch(self, ctx: ActionContext, understanding: Understanding) -> list[Reply]:
        intent = understanding.intent
        flow = active_flow(ctx)

        if flow is Flow.SOS and intent in _SOS_CONTINUES and ctx.state.incident_id is not None:
            incident = await ctx.session.get(Incident, ctx.state.incident_id)
            if incident is not None:
                return await emergency.continue_emergency(ctx, incident)

        if intent == "report_emergency":
            incident_type = emergency.parse_incident_type(ctx.entities.get("incident_type"))
            return await emergency.report_emergency(ctx, incident_type)
        if intent == UNSURE_EMERGENCY:
            return [
                Reply(
                    text=ctx.t("sos.confirm"),
                    buttons=(
                        ctx.button("button.sos_yes", "/report_emergency"),
                        ctx.button("button.menu", "/help"),
                    ),
                )
            ]
        if intent in _PLACE_INTENTS:
            return await places.find_places(ctx, _PLACE_INTENTS[intent])

        if flow is Flow.FIND_PLACES and (ctx.location is not None or named_area(ctx)):
            category = PlaceCategory(ctx.state.slots.get("category", PlaceCategory.HOSPITAL))
            return await places.find_places(ctx, category)

        if ctx.location is not None:
            remember_location(ctx, ctx.location)
            return [menu.menu_reply(ctx, "location.saved")]

        if intent is not None and (handler := self._handlers.get(intent)):
            return await handler(ctx)
        if understanding.degraded:
            return await menu.understanding_unavailable(ctx)
        return await menu.not_understood(ctx)
