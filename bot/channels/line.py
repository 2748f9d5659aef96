"""The LINE channel: `POST /webhooks/line`, with line-bot-sdk v3's async Messaging API.

The webhook is answered once every event's dialogue has committed (an acknowledged SOS is never
lost; a failure answers 503 so that LINE may redeliver, and a redelivered event is processed once
thanks to its `webhookEventId`). Replies go out afterwards in a background task: reply token first,
push when the token is used or expired, each call with a timeout and retries.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from linebot.v3 import WebhookParser
from linebot.v3.messaging import (
    AsyncApiClient,
    AsyncMessagingApi,
    AsyncMessagingApiBlob,
    Configuration,
    PushMessageRequest,
    ReplyMessageRequest,
    SetWebhookEndpointRequest,
    ShowLoadingAnimationRequest,
)
from linebot.v3.messaging.exceptions import ApiException
from linebot.v3.webhooks import (
    FollowEvent,
    GroupSource,
    ImageMessageContent,
    LocationMessageContent,
    MessageEvent,
    PostbackEvent,
    RoomSource,
    StickerMessageContent,
    TextMessageContent,
    UnfollowEvent,
)

from actions.domain import Channel
from actions.places.geo import Point
from actions.replies import Reply
from bot.channels.base import IncomingMessage, NotRecorded
from bot.channels.delivery import ChannelServices, is_reachable, set_reachable
from bot.channels.render import (
    LINE_MESSAGES_PER_CALL,
    line_messages,
    line_plain_messages,
    share_location_title,
)
from bot.outbound import RetryPolicy, Verdict, call_with_retries, retry_after_seconds
from bot.settings import Settings

logger = logging.getLogger(__name__)

router = APIRouter()

# Show the loading animation only when an answer takes longer than this (a quick answer would
# otherwise be preceded by a flicker).
LOADING_AFTER_S = 0.5
# How long LINE shows it at most (a multiple of 5); it disappears when our answer arrives.
LOADING_SECONDS = 20
# The webhook waits this long for a photo; a slower download finishes in the background.
PHOTO_IN_REQUEST_TIMEOUT_S = 5.0
# Sticker → the help menu; a follow → the greeting (payloads skip the NLU).
HELP_PAYLOAD = "/help"
GREET_PAYLOAD = "/greet"
HANDLED_EVENTS = (MessageEvent, PostbackEvent, FollowEvent, UnfollowEvent)


class MalformedWebhook(ValueError):
    """The body is signed correctly but is not a LINE webhook payload."""


def line_verdict(exc: Exception) -> Verdict:
    """429 and 5xx (honouring Retry-After) and network errors are worth another attempt."""
    if isinstance(exc, ApiException):
        status = int(exc.status or 0)
        if status == 429 or status >= 500:
            headers = exc.headers or {}
            return Verdict(True, retry_after_seconds(headers.get("Retry-After")))
        return Verdict(False)
    return Verdict(isinstance(exc, aiohttp.ClientError | TimeoutError))


def _invalid_reply_token(exc: ApiException) -> bool:
    return exc.status == 400 and "reply token" in str(exc.body or "").lower()


@dataclass(frozen=True, slots=True)
class Conversation:
    """Who wrote (`user_id`) and where answers go (`to`: the user, or the group or room)."""

    user_id: str
    to: str

    @classmethod
    def of(cls, source: Any) -> Conversation | None:
        user_id = getattr(source, "user_id", None)
        if not user_id:
            return None
        if isinstance(source, GroupSource):
            return cls(user_id, source.group_id)
        if isinstance(source, RoomSource):
            return cls(user_id, source.room_id)
        return cls(user_id, user_id)

    @property
    def is_one_to_one(self) -> bool:
        return self.user_id == self.to


class LoadingIndicator:
    """LINE's loading animation, shown only if the answer is slow to come.

    The answer must not arrive before the request that starts the animation (the animation would
    then run on after it), so :meth:`stop` hands back a call in flight for the sender to await.
    """

    def __init__(self, show: Callable[[], Awaitable[Any]]) -> None:
        self._calling = False
        self._task = asyncio.get_running_loop().create_task(self._run(show), name="line:loading")

    async def _run(self, show: Callable[[], Awaitable[Any]]) -> None:
        await asyncio.sleep(LOADING_AFTER_S)
        self._calling = True
        try:
            await show()
        except Exception as exc:
            logger.info("LINE loading animation not shown: %s", exc)

    async def stop(self) -> asyncio.Task[None] | None:
        if self._calling:
            return self._task
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        return None


class LineChannel:
    """Receives LINE webhook events, runs the dialogue, sends the answers; a notifier sender."""

    def __init__(self, services: ChannelServices) -> None:
        settings = services.settings
        assert settings.line_channel_secret and settings.line_channel_access_token
        secret = settings.line_channel_secret.get_secret_value()
        self._secret = secret.encode()
        self._parser = WebhookParser(secret)
        self._dialogue = services.dialogue
        self._sessions = services.sessions
        self._translator = services.translator
        self._tasks = services.tasks
        self._timeout_s = settings.outbound_timeout_s
        self._policy = RetryPolicy(attempts=settings.outbound_attempts)
        self._api_client, self.api = messaging_api(settings)
        # The content API has its own host, which the SDK hard-codes per call: a client
        # configured with LINE_DATA_API_BASE_URL as its host overrides it.
        self._blob_client = AsyncApiClient(
            Configuration(
                access_token=settings.line_channel_access_token.get_secret_value(),
                host=settings.line_data_api_base_url.rstrip("/"),
            )
        )
        self.blob = AsyncMessagingApiBlob(self._blob_client)

    @classmethod
    def from_settings(cls, services: ChannelServices) -> LineChannel | None:
        settings = services.settings
        if not (settings.line_channel_secret and settings.line_channel_access_token):
            logger.info("LINE is off (LINE_CHANNEL_SECRET / LINE_CHANNEL_ACCESS_TOKEN not set)")
            return None
        return cls(services)

    async def aclose(self) -> None:
        await self._api_client.close()
        await self._blob_client.close()

    # Webhook ------------------------------------------------------------------------------

    def signature_ok(self, body: bytes, signature: str | None) -> bool:
        """X-Line-Signature: base64 of the HMAC-SHA256 of the raw body with the channel secret."""
        if not signature:
            return False
        expected = base64.b64encode(hmac.new(self._secret, body, hashlib.sha256).digest())
        return hmac.compare_digest(expected, signature.encode("utf-8", "replace"))

    def parse(self, body: bytes, signature: str) -> list[Any]:
        """The events of a webhook whose signature :meth:`signature_ok` has accepted.

        Raises:
            MalformedWebhook: the body is not a webhook payload.
        """
        try:
            return list(self._parser.parse(body.decode("utf-8"), signature))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise MalformedWebhook(str(exc)) from exc

    async def handle_events(self, events: Sequence[Any]) -> None:
        """Process the events in order; an error propagates (the webhook then answers 503)."""
        for event in events:
            await self.handle_event(event)

    async def handle_event(self, event: Any) -> None:
        if not isinstance(event, HANDLED_EVENTS):
            logger.info("LINE event of type %r ignored", getattr(event, "type", type(event).__name__))
            return
        if event.delivery_context.is_redelivery:
            logger.info("LINE event %s is a redelivery", event.webhook_event_id)
        conversation = Conversation.of(event.source)
        if conversation is None:
            logger.info("LINE %s event without a user id ignored", event.type)
            return
        if isinstance(event, UnfollowEvent):
            await set_reachable(self._sessions, Channel.LINE, conversation.user_id, False)
        elif isinstance(event, FollowEvent):
            await set_reachable(self._sessions, Channel.LINE, conversation.user_id, True)
            language, name = await self._profile(conversation.user_id)
            await self._converse(
                event, conversation, text=GREET_PAYLOAD, language_hint=language, display_name=name
            )
        elif isinstance(event, PostbackEvent):
            await self._converse(event, conversation, text=event.postback.data)
        else:
            await self._on_message(event, conversation)

    async def _on_message(self, event: MessageEvent, conversation: Conversation) -> None:
        content = event.message
        if isinstance(content, TextMessageContent):
            await self._converse(event, conversation, text=content.text)
        elif isinstance(content, LocationMessageContent):
            try:
                point = Point(float(content.latitude), float(content.longitude))
            except ValueError:
                logger.warning("LINE location out of range ignored: %s", event.webhook_event_id)
                return
            await self._converse(event, conversation, location=point)
        elif isinstance(content, StickerMessageContent):
            await self._converse(event, conversation, text=HELP_PAYLOAD)
        elif isinstance(content, ImageMessageContent):
            await self._on_image(event, conversation)
        else:
            logger.info("LINE %s message ignored", getattr(content, "type", "unknown"))

    async def _on_image(self, event: MessageEvent, conversation: Conversation) -> None:
        if event.message.content_provider.type != "line":
            # Images hosted elsewhere cannot be fetched through the content API.
            logger.info("LINE image from an external provider ignored: %s", event.webhook_event_id)
            return
        try:
            photo, content_type = await asyncio.wait_for(
                self._download(event.message.id, RetryPolicy(attempts=1)), PHOTO_IN_REQUEST_TIMEOUT_S
            )
        except Exception as exc:
            if not (isinstance(exc, TimeoutError) or line_verdict(exc).retry):
                logger.error("LINE image %s cannot be downloaded: %s", event.message.id, exc)
                return
            # The content API is slow or down: keep trying after answering the webhook.
            logger.warning("LINE image %s: download failed (%s); retrying later", event.message.id, exc)
            self._tasks.spawn(
                conversation.to,
                self._late_image(event, conversation),
                name=f"line:image:{event.webhook_event_id}",
            )
            return
        await self._converse(event, conversation, photo=photo, photo_content_type=content_type)

    async def _late_image(self, event: MessageEvent, conversation: Conversation) -> None:
        photo, content_type = await self._download(event.message.id, self._policy)
        result = await self._dialogue.handle(
            self._incoming(event, conversation, photo=photo, photo_content_type=content_type)
        )
        if not result.duplicate:
            await self.send(conversation.to, event.reply_token, result.replies, result.language)

    async def _download(self, message_id: str, policy: RetryPolicy) -> tuple[bytes, str | None]:
        response = await call_with_retries(
            lambda: self.blob.get_message_content_with_http_info(
                message_id, _request_timeout=self._timeout_s
            ),
            classify=line_verdict,
            policy=policy,
            what=f"LINE content {message_id}",
        )
        headers = response.headers or {}
        return bytes(response.data), headers.get("Content-Type")

    async def _profile(self, user_id: str) -> tuple[str | None, str | None]:
        """The user's LINE language and display name; (None, None) when LINE does not answer."""
        try:
            profile = await call_with_retries(
                lambda: self.api.get_profile(user_id, _request_timeout=self._timeout_s),
                classify=line_verdict,
                policy=RetryPolicy(attempts=2),
                what="LINE profile",
            )
        except Exception as exc:
            logger.warning("LINE profile of %s unavailable: %s", user_id, exc)
            return None, None
        return profile.language, profile.display_name

    def _incoming(self, event: Any, conversation: Conversation, **content: Any) -> IncomingMessage:
        return IncomingMessage(
            channel=Channel.LINE,
            user_id=conversation.user_id,
            message_id=event.webhook_event_id,
            **content,
        )

    async def _converse(self, event: Any, conversation: Conversation, **content: Any) -> None:
        """Run the dialogue (it commits), then send its answers in the background."""
        loading = (
            LoadingIndicator(lambda: self._show_loading(conversation.user_id))
            if conversation.is_one_to_one and not isinstance(event, FollowEvent)
            else None
        )
        try:
            result = await self._dialogue.handle(self._incoming(event, conversation, **content))
        finally:
            showing = await loading.stop() if loading else None
        if result.duplicate:
            logger.info("LINE event %s already processed; not answered again", event.webhook_event_id)
            return
        self._tasks.spawn(
            conversation.to,
            self._answer(conversation.to, event.reply_token, result.replies, result.language, showing),
            name=f"line:answer:{event.webhook_event_id}",
        )
        if result.unavailable and not result.journaled:
            raise NotRecorded(f"LINE event {event.webhook_event_id}")

    async def _show_loading(self, chat_id: str) -> None:
        await self.api.show_loading_animation(
            ShowLoadingAnimationRequest(chat_id=chat_id, loading_seconds=LOADING_SECONDS),
            _request_timeout=self._timeout_s,
        )

    async def _answer(
        self,
        to: str,
        reply_token: str | None,
        replies: Sequence[Reply],
        language: str,
        loading: asyncio.Task[None] | None,
    ) -> None:
        if loading is not None:
            await asyncio.wait([loading])
        await self.send(to, reply_token, replies, language)

    # Sending ------------------------------------------------------------------------------

    async def push(self, to: str, replies: Sequence[Reply], language: str) -> None:
        """Push replies outside a conversation (the notifier's channel sender)."""
        await self.send(to, None, replies, language)

    async def send(self, to: str, reply_token: str | None, replies: Sequence[Reply], language: str) -> None:
        """Send replies, at most five messages per call: the reply token for the first call."""
        share_location = share_location_title(self._translator, language)
        batches: list[tuple[list[Any], list[Any]]] = []
        for reply in replies:
            rich, plain = line_messages(reply, share_location), line_plain_messages(reply)
            # A reply's messages stay in one call so that its quick replies stay on its last one.
            if not batches or len(batches[-1][0]) + len(rich) > LINE_MESSAGES_PER_CALL:
                batches.append(([], []))
            batches[-1][0].extend(rich)
            batches[-1][1].extend(plain)
        for index, (rich, plain) in enumerate(batches):
            token = reply_token if index == 0 else None
            try:
                await self._send_messages(to, token, rich)
            except ApiException as exc:
                if exc.status != 400:
                    raise
                logger.warning("LINE refused the messages (%s); sending them as plain text", exc.body)
                await self._send_messages(to, token, plain)

    async def _send_messages(self, to: str, reply_token: str | None, messages: list[Any]) -> None:
        if reply_token:
            try:
                await call_with_retries(
                    lambda: self.api.reply_message(
                        ReplyMessageRequest(reply_token=reply_token, messages=messages),
                        _request_timeout=self._timeout_s,
                    ),
                    classify=line_verdict,
                    policy=self._policy,
                    what="LINE reply",
                )
                return
            except ApiException as exc:
                if exc.status == 400 and not _invalid_reply_token(exc):
                    raise
                # Used or expired (a redelivery, a slow answer) or the reply API failing: push.
                logger.info("LINE reply failed (%s %s); pushing instead", exc.status, exc.body)
            except (aiohttp.ClientError, TimeoutError) as exc:
                logger.info("LINE reply failed (%s); pushing instead", exc)
        await self._push_messages(to, messages)

    async def _push_messages(self, to: str, messages: list[Any]) -> None:
        if not await is_reachable(self._sessions, Channel.LINE, to):
            logger.info("LINE user %s unfollowed; nothing pushed", to)
            return
        # One retry key for every attempt: LINE accepts a push once even if a response was lost.
        retry_key = str(uuid.uuid4())
        try:
            await call_with_retries(
                lambda: self.api.push_message(
                    PushMessageRequest(to=to, messages=messages),
                    x_line_retry_key=retry_key,
                    _request_timeout=self._timeout_s,
                ),
                classify=line_verdict,
                policy=self._policy,
                what="LINE push",
            )
        except ApiException as exc:
            if exc.status != 409:
                raise
            logger.info("LINE push %s was already accepted", retry_key)


def messaging_api(settings: Settings) -> tuple[AsyncApiClient, AsyncMessagingApi]:
    """An API client for LINE_API_BASE_URL (close it) and the Messaging API on it."""
    assert settings.line_channel_access_token is not None
    client = AsyncApiClient(
        Configuration(
            access_token=settings.line_channel_access_token.get_secret_value(),
            host=settings.line_api_base_url.rstrip("/"),
        )
    )
    return client, AsyncMessagingApi(client)


async def set_line_webhook(settings: Settings, url: str) -> None:
    """Register `url` as the channel's webhook endpoint (the console's "Webhook URL")."""
    client, api = messaging_api(settings)
    async with client:
        await api.set_webhook_endpoint(SetWebhookEndpointRequest(endpoint=url))


@router.post("/webhooks/line", include_in_schema=False)
async def line_webhook(request: Request) -> JSONResponse:
    channel: LineChannel | None = request.app.state.messengers.line
    if channel is None:
        return JSONResponse(status_code=404, content={"detail": "LINE is not configured"})
    body = await request.body()
    signature = request.headers.get("X-Line-Signature")
    # Nothing of a request is looked at before its signature is known to be LINE's.
    if not channel.signature_ok(body, signature):
        logger.warning("LINE webhook with a missing or wrong signature refused")
        return JSONResponse(status_code=401, content={"detail": "invalid signature"})
    assert signature is not None
    try:
        events = channel.parse(body, signature)
    except MalformedWebhook as exc:
        logger.warning("malformed LINE webhook: %s", exc)
        return JSONResponse(status_code=400, content={"detail": "malformed webhook body"})
    try:
        await channel.handle_events(events)
    except Exception:
        # Not acknowledged: LINE may redeliver, and what was already committed is not redone.
        logger.exception("LINE webhook failed")
        return JSONResponse(status_code=503, content={"detail": "temporarily unavailable"})
    return JSONResponse(content={})
