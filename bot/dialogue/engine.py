"""The dialogue: understand a message, choose the reply language, run the action, commit, answer."""

from __future__ import annotations

import dataclasses
import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from functools import partial

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from actions.context import ActionContext
from actions.db.availability import database_unavailable
from actions.db.models import InboundMessage, Incident, User
from actions.domain import DEFAULT_LANGUAGE, IncidentType, PlaceCategory
from actions.flows import Flow, active_flow, clear_flow
from actions.handlers import emergency, language, menu, numbers, places, reports, subscriptions, warnings
from actions.handlers.location import named_area, remember_location
from actions.i18n import Translator
from actions.incidents import IncidentCap
from actions.incidents.conversation import record_turn
from actions.notify import Notifier, add_notice, pending_notices
from actions.places.gazetteer import Gazetteer
from actions.replies import Reply
from actions.users import get_or_create_user, get_state
from bot.channels.base import DialogueResult, IncomingMessage
from bot.dialogue.journal import SosJournal
from bot.dialogue.understanding import (
    UNSURE_EMERGENCY,
    Understanding,
    understand,
    understand_without_model,
)
from bot.nlu import NluClient
from bot.security.rate_limit import MessageRateLimiter

logger = logging.getLogger(__name__)

Handler = Callable[[ActionContext], Awaitable[list[Reply]]]

_PLACE_INTENTS = {
    "find_shelter": PlaceCategory.SHELTER,
    "find_hospital": PlaceCategory.HOSPITAL,
    "find_police": PlaceCategory.POLICE,
}
# Inside an SOS only these requests interrupt; anything else the user writes is more about the
# same emergency ("man in a red shirt near the red flag" is a detail, not a warnings question).
_SOS_INTERRUPTIONS = {
    "find_shelter",
    "find_hospital",
    "find_police",
    "emergency_numbers",
    "incident_status",
    "change_language",
    "help",
}
# Requests inside an SOS that are also kept with the incident; not those about the chat itself.
_KEPT_AS_DETAILS = _SOS_INTERRUPTIONS - {"incident_status", "change_language", "help"}
# The model sometimes files an SOS under these; SOS words and no open report of the user's say SOS.
_SOS_IF_NOTHING_OPEN = {"incident_status", "cancel"}
# Answers to "cancel this emergency report?".
_ANSWERS = {"affirm", "deny", "cancel"}


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
        notifier: Notifier | None = None,
        limiter: MessageRateLimiter | None = None,
        incident_cap: IncidentCap | None = None,
        journal: SosJournal | None = None,
    ) -> None:
        self._sessions = sessions
        self._nlu = nlu
        self._translator = translator
        self._gazetteer = gazetteer
        self._confidence_threshold = confidence_threshold
        self._language_threshold = language_confidence_threshold
        self._flow_timeout_minutes = flow_timeout_minutes
        self.notifier = notifier or Notifier(translator, sessions)
        self._limiter = limiter
        self._incident_cap = incident_cap or IncidentCap()
        self.journal = journal
        self._handlers: dict[str, Handler] = {
            "greet": menu.greet,
            "help": menu.show_help,
            "goodbye": menu.goodbye,
            "thank": menu.thank,
            "emergency_numbers": numbers.emergency_numbers,
            "warning_status": warnings.warning_status,
            "subscribe_alerts": subscriptions.subscribe_alerts,
            "unsubscribe_alerts": subscriptions.unsubscribe_alerts,
            "incident_status": reports.incident_status,
            "change_language": language.change_language,
            "out_of_scope": menu.not_understood,
        }

    async def handle(self, message: IncomingMessage) -> DialogueResult:
        """Answer one message; it is committed (or kept in the SOS journal) before this returns."""
        limited = self._limiter is not None and not self._limiter.allow(
            f"{message.channel}:{message.user_id}",
            f"address:{message.client_key}" if message.client_key else None,
        )
        if limited:
            logger.warning("%s user %s is above the message rate", message.channel, message.user_id)
        # Understanding first, outside any transaction: the NLU call must not hold database locks.
        if not message.text:
            understanding = Understanding(None, 0.0)
        elif limited:
            understanding = understand_without_model(message.text)
        else:
            understanding = await understand(
                message.text, self._nlu, confidence_threshold=self._confidence_threshold
            )
        try:
            return await self._run(message, understanding, limited=limited)
        except Exception as exc:
            if not database_unavailable(exc):
                raise
            logger.error(
                "database unavailable while answering %s/%s: %s", message.channel, message.user_id, exc
            )
            return await self._unavailable(message, understanding)

    async def replay(self, message: IncomingMessage, understanding: Understanding) -> DialogueResult:
        """A report from the SOS journal: recorded as it was understood; the replies become notices."""
        return await self._run(message, understanding, limited=False, replayed=True)

    async def _run(
        self, message: IncomingMessage, understanding: Understanding, *, limited: bool, replayed: bool = False
    ) -> DialogueResult:
        async with self._sessions() as session:
            try:
                return await self._handle(session, message, understanding, limited=limited, replayed=replayed)
            except IntegrityError:
                # The same message id raced in twice; the first one's answer stands.
                await session.rollback()
                if message.message_id and (prior := await self._prior(session, message)):
                    return prior
                raise

    async def _unavailable(self, message: IncomingMessage, understanding: Understanding) -> DialogueResult:
        """The database is down: keep what may be an emergency on disk, answer with the numbers."""
        language = self._outage_language(message, understanding)
        may_be_sos = (
            understanding.intent in {"report_emergency", UNSURE_EMERGENCY}
            or understanding.sos_keywords is not None
            or message.location is not None
            or message.photo is not None
        )
        journaled = False
        if may_be_sos and self.journal is not None:
            if understanding.intent == UNSURE_EMERGENCY:
                # Nobody can be asked "is this an emergency?" now: record it as one.
                understanding = dataclasses.replace(understanding, intent="report_emergency")
            if message.message_id is None:
                message = dataclasses.replace(message, message_id=f"journal-{uuid.uuid4().hex}")
            if message.received_at is None:
                message = dataclasses.replace(message, received_at=datetime.now(UTC))
            try:
                await self.journal.keep(message, understanding)
                journaled = True
            except OSError:
                logger.exception("the SOS journal cannot be written: this report is NOT kept")
        incident_type = emergency.parse_incident_type(understanding.entities.get("incident_type"))
        key = "outage.sos_kept" if journaled else "outage.unavailable"
        text = self._translator(
            language, key, numbers=numbers.numbers_in(self._translator, language, incident_type)
        )
        return DialogueResult(
            replies=(Reply(text=text),),
            language=language,
            degraded=understanding.degraded,
            intent=understanding.intent,
            unavailable=True,
            journaled=journaled,
        )

    def _outage_language(self, message: IncomingMessage, understanding: Understanding) -> str:
        """The reply language without the user's stored preference: the message's, else the hint's."""
        if understanding.language_confidence >= self._language_threshold and self._translator.supports(
            understanding.language
        ):
            return str(understanding.language)
        hint = (message.language_hint or "").split("-")[0].lower()
        return hint if self._translator.supports(hint) else DEFAULT_LANGUAGE

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
        self,
        session: AsyncSession,
        message: IncomingMessage,
        understanding: Understanding,
        *,
        limited: bool,
        replayed: bool,
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
        now = message.received_at or datetime.now(UTC)
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
            photo=message.photo,
            photo_content_type=message.photo_content_type,
            flow_timeout_minutes=self._flow_timeout_minutes,
            notifier=self.notifier,
            rate_limited=limited,
            client_key=message.client_key,
            incident_cap=self._incident_cap,
        )
        replies = await self._dispatch(ctx, understanding)
        # Responders read the whole conversation of an open incident in the console. In a
        # savepoint: should keeping it fail, the turn (an SOS above all) is committed all the same.
        await session.flush()  # the turn's own writes: their errors are not the conversation's
        try:
            async with session.begin_nested():
                await record_turn(
                    session,
                    user,
                    state,
                    text=message.text,
                    location=message.location,
                    photo=message.photo is not None,
                    replies=[reply.text for reply in replies],
                    language=ctx.language,
                    now=now,
                )
        except SQLAlchemyError:
            logger.exception("the conversation of %s:%s was not recorded", message.channel, message.user_id)
        if replayed:
            # Nobody waits for these answers any more: the user reads them as notices (pushed on
            # LINE and Telegram, shown at the next turn in the web chat).
            for reply in replies:
                add_notice(session, user, reply.text, now)
            ctx.after_commit.append(partial(self.notifier.deliver_notices, user))
        elif message.channel not in self.notifier.senders:
            # Channels that cannot push show what happened meanwhile (e.g. a status change).
            notices = await pending_notices(session, user.id)
            for notice in notices:
                notice.delivered_at = now
            replies = [Reply(text=notice.text) for notice in notices] + replies
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
        for callback in ctx.after_commit:
            callback()
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

        if ctx.rate_limited and not (
            ctx.photo is not None
            or ctx.location is not None
            or flow is Flow.SOS
            or intent in {"report_emergency", UNSURE_EMERGENCY}
        ):
            # Above the rate only what may be part of an emergency is acted on; the rest is
            # answered with the numbers. An SOS is recorded as always (marked rate-limited).
            text = ctx.t("abuse.slow_down", numbers=numbers.numbers_text(ctx, IncidentType.UNKNOWN))
            return [Reply(text=text)]

        if ctx.photo is not None:
            incident = await emergency.open_incident(ctx) or await emergency.latest_open_incident(ctx)
            if incident is not None:
                return await emergency.add_photo(ctx, incident)
            return [self._confirm_emergency(ctx)]

        if flow is Flow.SOS and (incident := await emergency.open_incident(ctx)) is not None:
            if ctx.state.step == emergency.STEP_CONFIRM_CANCEL and intent in _ANSWERS:
                confirmed = intent in {"affirm", "cancel"}
                return await emergency.confirm_cancel(ctx, incident, confirmed=confirmed)
            if intent == "cancel":
                return await emergency.ask_cancel(ctx, incident)
            if intent not in _SOS_INTERRUPTIONS or ctx.location is not None:
                return await emergency.continue_emergency(ctx, incident)
            if intent in _KEPT_AS_DETAILS and ctx.text and not understanding.from_payload:
                # Answered below, and kept with the incident too: a detail can read like a request
                # ("穿红色衣服的男人 在红旗附近" came out as find_shelter), and what a reporter asks
                # for in an emergency is worth a responder's glance.
                await emergency.add_details(ctx, incident)

        # "моего друга сбила машина" filed as a status question or a cancel: with no report of the
        # user's open, there is nothing to ask about or cancel, so it is a new emergency.
        if (
            understanding.sos_keywords
            and intent in _SOS_IF_NOTHING_OPEN
            and await emergency.latest_open_incident(ctx) is None
        ):
            intent = "report_emergency"
            if understanding.sos_keywords != "unknown":
                ctx.entities.setdefault("incident_type", understanding.sos_keywords)

        if intent == "report_emergency":
            incident_type = emergency.parse_incident_type(ctx.entities.get("incident_type"))
            return await emergency.report_emergency(ctx, incident_type)
        if intent == UNSURE_EMERGENCY:
            return [self._confirm_emergency(ctx)]
        if intent in _PLACE_INTENTS:
            return await places.find_places(ctx, _PLACE_INTENTS[intent])
        if intent == "cancel":
            if flow is None:
                return [menu.menu_reply(ctx, "control.nothing_to_cancel")]
            clear_flow(ctx)
            return [menu.menu_reply(ctx, "control.cancelled")]

        names_a_place = ctx.location is not None or named_area(ctx) is not None
        if flow is Flow.FIND_PLACES and names_a_place and intent not in self._handlers:
            category = PlaceCategory(ctx.state.slots.get("category", PlaceCategory.HOSPITAL))
            return await places.find_places(ctx, category)
        if flow is Flow.SUBSCRIBE and names_a_place and intent not in self._handlers:
            return await subscriptions.subscribe_alerts(ctx)

        if ctx.location is not None:
            remember_location(ctx, ctx.location)
            return [menu.menu_reply(ctx, "location.saved")]
        if intent in {"affirm", "deny"}:
            return [menu.menu_reply(ctx, "control.ok")]
        if intent is not None and (handler := self._handlers.get(intent)):
            return await handler(ctx)
        if understanding.degraded:
            return await menu.understanding_unavailable(ctx)
        return await menu.not_understood(ctx)

    @staticmethod
    def _confirm_emergency(ctx: ActionContext) -> Reply:
        return Reply(
            text=ctx.t("sos.confirm"),
            buttons=(
                ctx.button("button.sos_yes", "/report_emergency"),
                ctx.button("button.menu", "/help"),
            ),
        )
