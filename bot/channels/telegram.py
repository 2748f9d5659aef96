"""The Telegram channel: python-telegram-bot 22, by webhook or by long polling.

With PUBLIC_BASE_URL set, the PTB `Application` has no updater and `POST /webhooks/telegram` feeds
it with `process_update` once the secret token is checked; the update is acknowledged after the
dialogue has committed (a failure answers 503 so that Telegram redelivers; `update_id` makes a
redelivery a no-op). Without it, the application polls, so that a bot token alone is enough locally.
Answers are sent in background tasks, rate-limited by `AIORateLimiter`, which also waits out a 429's
`retry_after`; network errors and 5xx are retried with backoff.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import re
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from telegram import CallbackQuery, ChatMember, Update
from telegram.error import BadRequest, Forbidden, InvalidToken, NetworkError, TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    ExtBot,
    JobQueue,
    MessageHandler,
    TypeHandler,
    filters,
)

from actions.domain import Channel
from actions.places.geo import Point
from actions.replies import Reply
from bot.channels.base import IncomingMessage, NotRecorded
from bot.channels.delivery import ChannelServices, is_reachable, set_reachable
from bot.channels.render import (
    TelegramText,
    share_location_title,
    telegram_messages,
    telegram_plain_message,
)
from bot.channels.telegram_shape import check_update_shape
from bot.outbound import RetryPolicy, Verdict, call_with_retries
from bot.settings import Settings

logger = logging.getLogger(__name__)

router = APIRouter()

# Bot commands and the payloads they stand for (payloads skip the NLU).
COMMANDS = {
    "start": "/greet",
    "help": "/help",
    "language": "/change_language",
    "subscribe": "/subscribe_alerts",
    "unsubscribe": "/unsubscribe_alerts",
    "status": "/incident_status",
    "sos": "/report_emergency",
}
ALLOWED_UPDATES = ["message", "edited_message", "callback_query", "my_chat_member"]
# How long a webhook request waits for the application to finish starting.
READY_WAIT_S = 10.0
_BOT_SUFFIX = re.compile(r"^(/[A-Za-z0-9_]+)@\w+")

TelegramApplication = Application[
    ExtBot[int],
    ContextTypes.DEFAULT_TYPE,
    dict[Any, Any],
    dict[Any, Any],
    dict[Any, Any],
    JobQueue[ContextTypes.DEFAULT_TYPE],
]
UpdateCallback = Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]


def telegram_verdict(exc: Exception) -> Verdict:
    """Network errors, timeouts and 5xx are worth another attempt; a refused request is not.

    A 429 is not retried here: the rate limiter already waited out its `retry_after`.
    """
    return Verdict(isinstance(exc, NetworkError) and not isinstance(exc, BadRequest))


def build_application(settings: Settings, *, polling: bool) -> TelegramApplication:
    """The PTB application for TELEGRAM_API_BASE_URL, with timeouts and the rate limiter."""
    assert settings.telegram_bot_token is not None
    root = settings.telegram_api_base_url.rstrip("/")
    timeout = settings.outbound_timeout_s
    builder = (
        Application.builder()
        .token(settings.telegram_bot_token.get_secret_value())
        .base_url(f"{root}/bot")
        .base_file_url(f"{root}/file/bot")
        .connect_timeout(timeout)
        .read_timeout(timeout)
        .write_timeout(timeout)
        .pool_timeout(timeout)
        .rate_limiter(AIORateLimiter(max_retries=max(0, settings.outbound_attempts - 1)))
    )
    if not polling:
        builder = builder.updater(None)
    return builder.build()


class TelegramChannel:
    """Handles Telegram updates with the dialogue and sends the answers; a notifier sender."""

    def __init__(self, services: ChannelServices) -> None:
        settings = services.settings
        assert settings.telegram_bot_token is not None
        self.webhook_mode = settings.public_base_url is not None
        secret = settings.telegram_webhook_secret
        self._secret = secret.get_secret_value().encode() if secret else b""
        self._dialogue = services.dialogue
        self._sessions = services.sessions
        self._translator = services.translator
        self._tasks = services.tasks
        self._policy = RetryPolicy(attempts=settings.outbound_attempts)
        self.application = build_application(settings, polling=not self.webhook_mode)
        self._ready = asyncio.Event()
        self._starter: asyncio.Task[None] | None = None
        self._failed_updates: set[int] = set()
        self._add_handlers()

    @classmethod
    def from_settings(cls, services: ChannelServices) -> TelegramChannel | None:
        settings = services.settings
        if settings.telegram_bot_token is None:
            logger.info("Telegram is off (TELEGRAM_BOT_TOKEN not set)")
            return None
        if settings.public_base_url is not None and settings.telegram_webhook_secret is None:
            # A webhook without a secret would take updates from anybody.
            logger.error("Telegram is off: PUBLIC_BASE_URL is set but TELEGRAM_WEBHOOK_SECRET is not")
            return None
        return cls(services)

    @property
    def bot(self) -> ExtBot[int]:
        return self.application.bot

    # Life cycle ---------------------------------------------------------------------------

    def start(self) -> None:
        """Start in the background: Telegram being down must not stop the rest of the bot."""
        self._starter = asyncio.get_running_loop().create_task(self._start(), name="telegram:start")

    async def _start(self) -> None:
        delay = 1.0
        while True:
            try:
                await self.application.initialize()  # getMe
                break
            except InvalidToken:
                logger.error("Telegram refused TELEGRAM_BOT_TOKEN; the Telegram channel stays off")
                return
            except TelegramError as exc:
                logger.warning("Telegram unreachable (%s); trying again in %.0f s", exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 60.0)
        try:
            await self.application.start()
            if not self.webhook_mode:
                assert self.application.updater is not None
                # bootstrap_retries=-1: keep trying while Telegram is unreachable.
                await self.application.updater.start_polling(
                    allowed_updates=ALLOWED_UPDATES, bootstrap_retries=-1
                )
        except Exception:
            logger.exception("the Telegram channel failed to start")
            return
        self._ready.set()
        logger.info(
            "Telegram @%s ready (%s)", self.bot.username, "webhook" if self.webhook_mode else "long polling"
        )

    async def wait_ready(self, timeout_s: float) -> bool:
        try:
            await asyncio.wait_for(self._ready.wait(), timeout_s)
        except TimeoutError:
            return False
        return True

    async def stop_receiving(self) -> None:
        """Stop polling and processing updates (answers in flight can still be sent)."""
        if self._starter is not None and not self._starter.done():
            self._starter.cancel()
            await asyncio.gather(self._starter, return_exceptions=True)
        self._ready.clear()
        updater = self.application.updater
        if updater is not None and updater.running:
            await updater.stop()
        if self.application.running:
            await self.application.stop()

    async def aclose(self) -> None:
        await self.stop_receiving()
        await self.application.shutdown()

    # Webhook ------------------------------------------------------------------------------

    def secret_ok(self, token: str | None) -> bool:
        return bool(token) and hmac.compare_digest(self._secret, (token or "").encode("utf-8", "replace"))

    def parse(self, body: bytes) -> Update:
        """An update from a webhook body; ValueError when it is not one."""
        try:
            data = json.loads(body)
            if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
                raise ValueError("no update_id")
            check_update_shape(data)
            update = Update.de_json(data, self.bot)
        except Exception as exc:
            raise ValueError(f"not a Telegram update: {exc}") from exc
        return update

    async def process(self, update: Update) -> bool:
        """Run the handlers for one update; False when one of them failed."""
        await self.application.process_update(update)
        failed = update.update_id in self._failed_updates
        self._failed_updates.discard(update.update_id)
        return not failed

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        if isinstance(update, Update) and self.webhook_mode:
            # Read (and forgotten) by `process` to answer the webhook with 503.
            self._failed_updates.add(update.update_id)
        update_id = update.update_id if isinstance(update, Update) else None
        logger.error("Telegram update %s failed", update_id, exc_info=context.error)

    # Handlers -----------------------------------------------------------------------------

    def _add_handlers(self) -> None:
        app = self.application
        only_new = filters.UpdateType.MESSAGE
        for command, payload in COMMANDS.items():
            app.add_handler(CommandHandler(command, self._command(payload), filters=only_new))
        # Live locations arrive as edited messages, one per move: both kinds are locations.
        app.add_handler(MessageHandler(filters.LOCATION, self._on_location))
        app.add_handler(MessageHandler(filters.PHOTO & only_new, self._on_photo))
        # Other /commands are button payloads typed or tapped in a plain-text fallback.
        app.add_handler(MessageHandler(filters.TEXT & only_new, self._on_text))
        app.add_handler(CallbackQueryHandler(self._on_callback))
        app.add_handler(ChatMemberHandler(self._on_membership, ChatMemberHandler.MY_CHAT_MEMBER))
        app.add_handler(TypeHandler(Update, self._on_other))
        app.add_error_handler(self._on_error)

    def _command(self, payload: str) -> UpdateCallback:
        async def handle(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
            await self._converse(update, text=payload)

        return handle

    async def _on_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None and update.message.text is not None
        text = _BOT_SUFFIX.sub(r"\1", update.message.text.strip())
        await self._converse(update, text=text)

    async def _on_location(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        assert message is not None and message.location is not None
        try:
            point = Point(message.location.latitude, message.location.longitude)
        except ValueError:
            logger.warning("Telegram location out of range ignored (update %s)", update.update_id)
            return
        # A live location's updates join the incident without an answer each time it moves.
        await self._converse(update, location=point, quiet=update.edited_message is not None)

    async def _on_photo(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        largest = max(update.message.photo, key=lambda size: size.width * size.height)

        async def download() -> bytes:
            file = await largest.get_file()
            return bytes(await file.download_as_bytearray())

        # A failure here fails the update (503): Telegram delivers it again later.
        photo = await call_with_retries(
            download, classify=telegram_verdict, policy=self._policy, what="Telegram photo"
        )
        await self._converse(
            update, text=update.message.caption, photo=photo, photo_content_type="image/jpeg"
        )

    async def _on_callback(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        if not query.data:
            await self._answer_query(query)
            return
        await self._converse(update, text=query.data, query=query)

    async def _on_membership(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        change = update.my_chat_member
        assert change is not None
        status = change.new_chat_member.status
        reachable = status not in {ChatMember.BANNED, ChatMember.LEFT}
        await set_reachable(self._sessions, Channel.TELEGRAM, str(change.chat.id), reachable)

    async def _on_other(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        kind = next((name for name in update.to_dict() if name != "update_id"), "empty")
        logger.info("Telegram update %s (%s) ignored", update.update_id, kind)

    async def _converse(
        self,
        update: Update,
        *,
        text: str | None = None,
        location: Point | None = None,
        photo: bytes | None = None,
        photo_content_type: str | None = None,
        query: CallbackQuery | None = None,
        quiet: bool = False,
    ) -> None:
        """Run the dialogue (it commits), then send its answers in the background."""
        chat, user = update.effective_chat, update.effective_user
        if chat is None:
            logger.info("Telegram update %s without a chat ignored", update.update_id)
            return
        result = await self._dialogue.handle(
            IncomingMessage(
                channel=Channel.TELEGRAM,
                user_id=str(chat.id),
                text=text,
                location=location,
                photo=photo,
                photo_content_type=photo_content_type,
                message_id=str(update.update_id),
                language_hint=user.language_code if user else None,
                display_name=user.full_name if user else None,
            )
        )
        if result.duplicate:
            logger.info("Telegram update %s already processed; not answered again", update.update_id)
            return
        if quiet:
            return
        self._tasks.spawn(
            f"telegram:{chat.id}",
            self._answer(chat.id, result.replies, result.language, query),
            name=f"telegram:answer:{update.update_id}",
        )
        if result.unavailable and not result.journaled:
            raise NotRecorded(f"Telegram update {update.update_id}")

    async def _answer(
        self, chat_id: int, replies: Sequence[Reply], language: str, query: CallbackQuery | None
    ) -> None:
        if query is not None:
            await self._answer_query(query)
        await self.send(chat_id, replies, language)

    async def _answer_query(self, query: CallbackQuery) -> None:
        # Stops the button's spinner; the answer itself is the message that follows.
        try:
            await query.answer()
        except TelegramError as exc:
            logger.info("Telegram callback query not answered: %s", exc)

    # Sending ------------------------------------------------------------------------------

    async def push(self, to: str, replies: Sequence[Reply], language: str) -> None:
        """Send replies outside a conversation (the notifier's channel sender)."""
        if not await is_reachable(self._sessions, Channel.TELEGRAM, to):
            logger.info("Telegram chat %s blocked the bot; nothing sent", to)
            return
        await self.send(int(to) if to.lstrip("-").isdigit() else to, replies, language)

    async def send(self, chat_id: int | str, replies: Sequence[Reply], language: str) -> None:
        share_location = share_location_title(self._translator, language)
        location_hint = self._translator(language, "location.how_to")
        try:
            for reply in replies:
                for message in telegram_messages(reply, share_location, location_hint):
                    try:
                        await self._send_text(chat_id, message)
                    except BadRequest as exc:
                        logger.warning("Telegram refused a message (%s); sending it as plain text", exc)
                        await self._send_text(chat_id, telegram_plain_message(reply))
                        break
        except Forbidden as exc:
            # Blocked by the user (or removed from the group): no delivery until they come back.
            logger.info("Telegram chat %s unreachable: %s", chat_id, exc)
            await set_reachable(self._sessions, Channel.TELEGRAM, str(chat_id), False)

    async def _send_text(self, chat_id: int | str, message: TelegramText) -> None:
        await call_with_retries(
            lambda: self.bot.send_message(
                chat_id=chat_id,
                text=message.text,
                reply_markup=message.markup,
                link_preview_options=message.link_preview,
            ),
            classify=telegram_verdict,
            policy=self._policy,
            what="Telegram sendMessage",
        )


async def set_telegram_webhook(settings: Settings, url: str) -> None:
    """Register `url` with Telegram, with TELEGRAM_WEBHOOK_SECRET as its secret token."""
    if settings.telegram_webhook_secret is None:
        raise ValueError("TELEGRAM_WEBHOOK_SECRET must be set for the Telegram webhook")
    application = build_application(settings, polling=False)
    async with application.bot as bot:
        await bot.set_webhook(
            url,
            secret_token=settings.telegram_webhook_secret.get_secret_value(),
            allowed_updates=ALLOWED_UPDATES,
        )


@router.post("/webhooks/telegram", include_in_schema=False)
async def telegram_webhook(request: Request) -> JSONResponse:
    channel: TelegramChannel | None = request.app.state.messengers.telegram
    if channel is None or not channel.webhook_mode:
        return JSONResponse(status_code=404, content={"detail": "the Telegram webhook is not configured"})
    # Nothing of a request is looked at before its secret token is known to be ours.
    if not channel.secret_ok(request.headers.get("X-Telegram-Bot-Api-Secret-Token")):
        logger.warning("Telegram webhook with a missing or wrong secret token refused")
        return JSONResponse(status_code=403, content={"detail": "invalid secret token"})
    try:
        update = channel.parse(await request.body())
    except ValueError as exc:
        logger.warning("malformed Telegram update: %s", exc)
        return JSONResponse(status_code=400, content={"detail": "malformed update"})
    if not await channel.wait_ready(READY_WAIT_S):
        return JSONResponse(status_code=503, content={"detail": "Telegram channel starting"})
    if not await channel.process(update):
        # Not acknowledged: Telegram delivers the update again; what was committed is not redone.
        return JSONResponse(status_code=503, content={"detail": "temporarily unavailable"})
    return JSONResponse(content={})
