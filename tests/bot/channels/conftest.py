"""Fake LINE and Telegram APIs on 127.0.0.1, and webhooks as the platforms send them."""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from actions.db.models import InboundMessage, Incident, IncidentEvent, User
from bot.settings import Settings
from tests.bot.conftest import make_settings
from tests.fakes.line_api import FakeLineApi
from tests.fakes.telegram_api import FakeTelegramApi

LINE_SECRET = "line-test-secret"
LINE_TOKEN = "line-test-access-token"
TELEGRAM_TOKEN = "123456:TEST-telegram-token"
TELEGRAM_SECRET = "telegram-test-secret"


@pytest.fixture
async def line_api() -> AsyncIterator[FakeLineApi]:
    fake = FakeLineApi(LINE_TOKEN)
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def telegram_api() -> AsyncIterator[FakeTelegramApi]:
    fake = FakeTelegramApi(TELEGRAM_TOKEN)
    await fake.start()
    yield fake
    await fake.stop()


def line_settings(database_url: str, nlu_url: str, line_api: FakeLineApi, **overrides: Any) -> Settings:
    return make_settings(
        database_url,
        nlu_url,
        line_channel_secret=LINE_SECRET,
        line_channel_access_token=LINE_TOKEN,
        line_api_base_url=line_api.url,
        line_data_api_base_url=line_api.data.url,
        **overrides,
    )


def telegram_settings(
    database_url: str, nlu_url: str, telegram_api: FakeTelegramApi, **overrides: Any
) -> Settings:
    values: dict[str, Any] = {
        "telegram_bot_token": TELEGRAM_TOKEN,
        "telegram_webhook_secret": TELEGRAM_SECRET,
        "telegram_api_base_url": telegram_api.url,
        "public_base_url": "https://bot.example.org",
        **overrides,
    }
    return make_settings(database_url, nlu_url, **values)


# LINE webhooks ------------------------------------------------------------------------------


def line_signature(body: bytes, secret: str = LINE_SECRET) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def line_event(
    kind: str,
    user_id: str,
    *,
    reply_token: str | None = None,
    event_id: str | None = None,
    redelivery: bool = False,
    **fields: Any,
) -> dict[str, Any]:
    event: dict[str, Any] = {
        "type": kind,
        "mode": "active",
        "timestamp": int(time.time() * 1000),
        "source": {"type": "user", "userId": user_id},
        "webhookEventId": event_id or uuid.uuid4().hex.upper()[:26],
        "deliveryContext": {"isRedelivery": redelivery},
        **fields,
    }
    if reply_token is not None:
        event["replyToken"] = reply_token
    return event


_message_ids = itertools.count(500000)


def line_message(user_id: str, reply_token: str, message: dict[str, Any], **options: Any) -> dict[str, Any]:
    content = {"id": str(next(_message_ids)), "quoteToken": uuid.uuid4().hex, **message}
    return line_event("message", user_id, reply_token=reply_token, message=content, **options)


def line_text(user_id: str, reply_token: str, text: str, **options: Any) -> dict[str, Any]:
    return line_message(user_id, reply_token, {"type": "text", "text": text}, **options)


def line_location(user_id: str, reply_token: str, lat: float, lon: float) -> dict[str, Any]:
    message = {"type": "location", "title": "", "address": "Phuket", "latitude": lat, "longitude": lon}
    return line_message(user_id, reply_token, message)


async def post_line(
    client: httpx.AsyncClient, *events: dict[str, Any], signature: str | None = "sign"
) -> httpx.Response:
    """Post a webhook as LINE does; `signature="sign"` signs it, None leaves the header out."""
    body = json.dumps({"destination": "Ubot", "events": list(events)}).encode()
    headers = {"content-type": "application/json"}
    if signature == "sign":
        headers["X-Line-Signature"] = line_signature(body)
    elif signature is not None:
        headers["X-Line-Signature"] = signature
    return await client.post("/webhooks/line", content=body, headers=headers)


def texts(messages: list[dict[str, Any]]) -> str:
    return "\n".join(message.get("text", "") for message in messages)


# Telegram updates ---------------------------------------------------------------------------

_update_ids = itertools.count(9000)


def telegram_user(chat_id: int, language_code: str | None = "en") -> dict[str, Any]:
    user: dict[str, Any] = {"id": chat_id, "is_bot": False, "first_name": "Tourist"}
    if language_code:
        user["language_code"] = language_code
    return user


def telegram_message(
    chat_id: int, *, language_code: str | None = "en", update_id: int | None = None, **content: Any
) -> dict[str, Any]:
    return {
        "update_id": update_id if update_id is not None else next(_update_ids),
        "message": {
            "message_id": next(_update_ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private", "first_name": "Tourist"},
            "from": telegram_user(chat_id, language_code),
            **content,
        },
    }


def telegram_command(chat_id: int, command: str, **options: Any) -> dict[str, Any]:
    entities = [{"type": "bot_command", "offset": 0, "length": len(command.split()[0])}]
    return telegram_message(chat_id, text=command, entities=entities, **options)


async def post_telegram(
    client: httpx.AsyncClient, update: dict[str, Any] | bytes, *, secret: str | None = TELEGRAM_SECRET
) -> httpx.Response:
    headers = {"content-type": "application/json"}
    if secret is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    body = update if isinstance(update, bytes) else json.dumps(update).encode()
    return await client.post("/webhooks/telegram", content=body, headers=headers)


# Database -----------------------------------------------------------------------------------


async def counts(sessions: async_sessionmaker[AsyncSession]) -> dict[str, int]:
    async with sessions() as session:
        return {
            model.__tablename__: int(await session.scalar(select(func.count()).select_from(model)) or 0)
            for model in (User, Incident, IncidentEvent, InboundMessage)
        }


async def only_incident(sessions: async_sessionmaker[AsyncSession]) -> tuple[Incident, list[IncidentEvent]]:
    async with sessions() as session:
        incident = (await session.scalars(select(Incident))).one()
        events = list(
            await session.scalars(
                select(IncidentEvent)
                .where(IncidentEvent.incident_id == incident.id)
                .order_by(IncidentEvent.id)
            )
        )
    return incident, events


async def user_of(
    sessions: async_sessionmaker[AsyncSession], channel: str, channel_user_id: str
) -> User | None:
    async with sessions() as session:
        return await session.scalar(
            select(User).where(User.channel == channel, User.channel_user_id == channel_user_id)
        )
