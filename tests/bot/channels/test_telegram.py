"""Telegram end to end: updates into the app, python-telegram-bot out to a fake Bot API over HTTP."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from actions.db.models import IncidentAttachment
from actions.domain import Channel
from tests.bot.channels.conftest import (
    TELEGRAM_SECRET,
    counts,
    only_incident,
    post_telegram,
    telegram_command,
    telegram_message,
    telegram_settings,
    telegram_user,
    user_of,
)
from tests.bot.conftest import running_app
from tests.fakes.telegram_api import FakeTelegramApi, too_many_requests


def keyboard(message):
    return message.get("reply_markup") or {}


async def test_a_location_after_sos_updates_the_same_incident(database_url, dead_nlu_url, telegram_api):
    async with running_app(telegram_settings(database_url, dead_nlu_url, telegram_api)) as (app, client):
        sos = await post_telegram(client, telegram_command(501, "/sos"))
        await app.state.messengers.drain()
        asked = telegram_api.sent(501)
        location = telegram_message(501, location={"latitude": 7.8206, "longitude": 98.2983})
        located = await post_telegram(client, location)
        await app.state.messengers.drain()
        incident, events = await only_incident(app.state.sessions)

    assert (sos.status_code, located.status_code) == (200, 200)
    assert [e.kind for e in events] == ["created", "location"]
    assert (incident.lat, incident.lon) == (7.8206, 98.2983)
    assert events[1].data["lat"] == 7.8206
    assert incident.reference in asked[0]["text"] and "1669" in asked[0]["text"]
    [button] = [row[0] for m in asked for row in keyboard(m).get("keyboard", [])]
    assert button["request_location"] is True and button["text"] == "📍 Share my location"
    assert keyboard(asked[-1])["one_time_keyboard"] is True
    assert incident.reference in telegram_api.sent(501)[-1]["text"]


async def test_a_wrong_or_missing_secret_token_is_refused_and_changes_nothing(
    database_url, dead_nlu_url, telegram_api
):
    async with running_app(telegram_settings(database_url, dead_nlu_url, telegram_api)) as (app, client):
        before = await counts(app.state.sessions)
        update = telegram_message(502, text="HELP fire!")
        wrong = await post_telegram(client, update, secret="not-the-secret")
        missing = await post_telegram(client, update, secret=None)
        garbage = await post_telegram(client, b"{not json", secret="nope")
        await app.state.messengers.drain()
        after = await counts(app.state.sessions)

    assert (wrong.status_code, missing.status_code, garbage.status_code) == (403, 403, 403)
    assert after == before
    assert telegram_api.calls("sendMessage") == []


async def test_a_malformed_update_is_a_400(database_url, dead_nlu_url, telegram_api):
    async with running_app(telegram_settings(database_url, dead_nlu_url, telegram_api)) as (_, client):
        statuses = [
            (await post_telegram(client, body)).status_code
            for body in (b"{not json", b"[]", b'{"message": {}}', b'{"update_id": 1, "message": "x"}')
        ]
    assert statuses == [400, 400, 400, 400]


async def test_a_429_is_retried_after_its_retry_after_and_delivered(database_url, dead_nlu_url, telegram_api):
    telegram_api.fail_next("sendMessage", 429, too_many_requests(1))
    async with running_app(telegram_settings(database_url, dead_nlu_url, telegram_api)) as (app, client):
        response = await post_telegram(client, telegram_command(503, "/help"))
        await app.state.messengers.drain()

    assert response.status_code == 200
    attempts = telegram_api.calls("sendMessage")
    assert [a.status for a in attempts] == [429, 200]
    assert attempts[0].data == attempts[1].data
    [delivered] = telegram_api.sent(503)
    assert "/find_hospital" in [row[0]["callback_data"] for row in keyboard(delivered)["inline_keyboard"]]


async def test_a_server_error_is_retried_with_backoff(database_url, dead_nlu_url, telegram_api):
    telegram_api.fail_next(
        "sendMessage", 502, {"ok": False, "error_code": 502, "description": "Bad Gateway"}, times=2
    )
    async with running_app(telegram_settings(database_url, dead_nlu_url, telegram_api)) as (app, client):
        await post_telegram(client, telegram_command(504, "/help"))
        await app.state.messengers.drain()
    assert [a.status for a in telegram_api.calls("sendMessage")] == [502, 502, 200]


async def test_an_update_id_is_processed_once(database_url, dead_nlu_url, telegram_api):
    async with running_app(telegram_settings(database_url, dead_nlu_url, telegram_api)) as (app, client):
        update = telegram_message(505, text="HELP my friend is drowning")
        first = await post_telegram(client, update)
        second = await post_telegram(client, update)
        await app.state.messengers.drain()
        incident, events = await only_incident(app.state.sessions)

    assert (first.status_code, second.status_code) == (200, 200)
    assert incident.incident_type == "drowning" and [e.kind for e in events] == ["created"]
    assert len([m for m in telegram_api.sent(505) if incident.reference in m["text"]]) == 1


async def test_an_inline_button_is_its_payload_and_its_query_is_answered(
    database_url, dead_nlu_url, telegram_api
):
    async with running_app(telegram_settings(database_url, dead_nlu_url, telegram_api)) as (app, client):
        callback = {
            "update_id": 777001,
            "callback_query": {
                "id": "cbq-1",
                "from": telegram_user(506),
                "chat_instance": "ci-1",
                "data": "/emergency_numbers",
                "message": {
                    "message_id": 1,
                    "date": 1700000000,
                    "chat": {"id": 506, "type": "private"},
                    "text": "What do you need?",
                },
            },
        }
        response = await post_telegram(client, callback)
        await app.state.messengers.drain()

    assert response.status_code == 200
    [answer] = telegram_api.calls("answerCallbackQuery")
    assert answer.data["callback_query_id"] == "cbq-1"
    assert "1669" in telegram_api.sent(506)[0]["text"]
    # The spinner is stopped before the answer is sent.
    endpoints = [r.endpoint for r in telegram_api.requests if r.endpoint != "getMe"]
    assert endpoints == ["answerCallbackQuery", "sendMessage"]


async def test_a_photo_is_downloaded_largest_first_and_attached_to_the_open_incident(
    database_url, dead_nlu_url, telegram_api
):
    jpeg = b"\xff\xd8\xff\xe0telegram-photo"
    telegram_api.add_file("big-photo", jpeg)
    sizes = [
        {"file_id": "small-photo", "file_unique_id": "s", "width": 90, "height": 67},
        {"file_id": "big-photo", "file_unique_id": "b", "width": 1280, "height": 960},
    ]
    async with running_app(telegram_settings(database_url, dead_nlu_url, telegram_api)) as (app, client):
        await post_telegram(client, telegram_message(507, text="HELP fire!"))
        response = await post_telegram(client, telegram_message(507, photo=sizes))
        await app.state.messengers.drain()
        incident, events = await only_incident(app.state.sessions)
        async with app.state.sessions() as session:
            attachment = (await session.scalars(select(IncidentAttachment))).one()

    assert response.status_code == 200
    assert [c.data["file_id"] for c in telegram_api.calls("getFile")] == ["big-photo"]
    [download] = telegram_api.calls("file")
    assert download.path.endswith("/photos/big-photo")
    assert [e.kind for e in events] == ["created", "photo"]
    assert attachment.incident_id == incident.id
    assert attachment.data == jpeg and attachment.content_type == "image/jpeg"


async def test_live_location_updates_join_the_incident_without_an_answer_each(
    database_url, dead_nlu_url, telegram_api
):
    async with running_app(telegram_settings(database_url, dead_nlu_url, telegram_api)) as (app, client):
        await post_telegram(client, telegram_command(508, "/sos"))
        live = telegram_message(508, location={"latitude": 7.84, "longitude": 98.29, "live_period": 900})
        await post_telegram(client, live)
        await app.state.messengers.drain()
        answers_before = len(telegram_api.sent(508))
        moved = {"update_id": live["update_id"] + 1000, "edited_message": dict(live["message"])}
        moved["edited_message"]["location"] = {"latitude": 7.85, "longitude": 98.295, "live_period": 900}
        moved["edited_message"]["edit_date"] = moved["edited_message"]["date"] + 60
        response = await post_telegram(client, moved)
        await app.state.messengers.drain()
        incident, events = await only_incident(app.state.sessions)

    assert response.status_code == 200
    assert [e.kind for e in events] == ["created", "location", "location"]
    assert (incident.lat, incident.lon) == (7.85, 98.295)
    assert len(telegram_api.sent(508)) == answers_before


async def test_language_code_is_the_language_hint(database_url, dead_nlu_url, telegram_api):
    async with running_app(telegram_settings(database_url, dead_nlu_url, telegram_api)) as (app, client):
        await post_telegram(client, telegram_command(509, "/start", language_code="th"))
        await app.state.messengers.drain()
        user = await user_of(app.state.sessions, Channel.TELEGRAM, "509")

    assert user is not None and user.channel_language_hint == "th"
    assert "สวัสดี" in telegram_api.sent(509)[0]["text"]


@pytest.mark.parametrize("status", ["kicked", "left"])
async def test_blocking_the_bot_makes_the_chat_unreachable(database_url, dead_nlu_url, telegram_api, status):
    async with running_app(telegram_settings(database_url, dead_nlu_url, telegram_api)) as (app, client):
        await post_telegram(client, telegram_command(510, "/start"))
        change = {
            "update_id": 880001,
            "my_chat_member": {
                "chat": {"id": 510, "type": "private"},
                "from": telegram_user(510),
                "date": 1700000000,
                "old_chat_member": {
                    "user": {"id": 1, "is_bot": True, "first_name": "Bot"},
                    "status": "member",
                },
                "new_chat_member": {
                    "user": {"id": 1, "is_bot": True, "first_name": "Bot"},
                    "status": status,
                    **({"until_date": 0} if status == "kicked" else {}),
                },
            },
        }
        response = await post_telegram(client, change)
        user = await user_of(app.state.sessions, Channel.TELEGRAM, "510")
        sent_before = len(telegram_api.calls("sendMessage"))
        from actions.replies import Reply

        await app.state.messengers.telegram.push("510", [Reply(text="status changed")], "en")
        await app.state.messengers.drain()

    assert response.status_code == 200
    assert user is not None and user.reachable is False
    assert len(telegram_api.calls("sendMessage")) == sent_before


async def test_without_a_public_url_the_bot_polls(database_url, dead_nlu_url, telegram_api):
    settings = telegram_settings(database_url, dead_nlu_url, telegram_api, public_base_url=None)
    async with running_app(settings) as (app, client):
        telegram_api.queue_update(telegram_command(511, "/emergency_numbers"))
        for _ in range(200):  # until the answer arrives (bounded)
            if telegram_api.sent(511):
                break
            await asyncio.sleep(0.05)
        await app.state.messengers.drain()
        webhook = await post_telegram(client, telegram_command(511, "/help"))

    assert "1669" in telegram_api.sent(511)[0]["text"]
    assert telegram_api.calls("deleteWebhook")  # polling and a webhook exclude each other
    assert webhook.status_code == 404


async def test_readyz_lists_telegram(database_url, dead_nlu_url, telegram_api):
    async with running_app(telegram_settings(database_url, dead_nlu_url, telegram_api)) as (_, client):
        ready = await client.get("/readyz")
    assert ready.json()["channels"] == ["web", "telegram"]


async def test_webhook_mode_without_a_secret_keeps_telegram_off(database_url, dead_nlu_url, telegram_api):
    settings = telegram_settings(database_url, dead_nlu_url, telegram_api, telegram_webhook_secret=None)
    async with running_app(settings) as (_, client):
        response = await post_telegram(client, telegram_command(512, "/help"), secret=TELEGRAM_SECRET)
        ready = await client.get("/readyz")
    assert response.status_code == 404
    assert ready.json()["channels"] == ["web"]


async def test_a_message_telegram_refuses_is_sent_again_as_plain_text(
    database_url, dead_nlu_url, telegram_api
):
    refused = {"ok": False, "error_code": 400, "description": "Bad Request: BUTTON_DATA_INVALID"}
    telegram_api.fail_next("sendMessage", 400, refused)
    async with running_app(telegram_settings(database_url, dead_nlu_url, telegram_api)) as (app, client):
        await post_telegram(client, telegram_command(513, "/help"))
        await app.state.messengers.drain()

    rich, plain = telegram_api.calls("sendMessage")
    assert (rich.status, plain.status) == (400, 200)
    assert "reply_markup" not in plain.data
    assert "/find_hospital" in plain.data["text"]


async def test_a_user_who_blocked_the_bot_becomes_unreachable_when_a_send_is_refused(
    database_url, dead_nlu_url, telegram_api
):
    blocked = {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"}
    telegram_api.fail_next("sendMessage", 403, blocked)
    async with running_app(telegram_settings(database_url, dead_nlu_url, telegram_api)) as (app, client):
        await post_telegram(client, telegram_command(514, "/help"))
        await app.state.messengers.drain()
        user = await user_of(app.state.sessions, Channel.TELEGRAM, "514")

    assert user is not None and user.reachable is False
    assert len(telegram_api.calls("sendMessage")) == 1


async def test_telegram_down_at_start_does_not_stop_the_bot(database_url, dead_nlu_url, monkeypatch):
    from bot.channels import telegram as telegram_channel
    from tests.conftest import free_port

    monkeypatch.setattr(telegram_channel, "READY_WAIT_S", 0.2)
    settings = telegram_settings(
        database_url,
        dead_nlu_url,
        FakeTelegramApi(""),
        telegram_api_base_url=f"http://127.0.0.1:{free_port()}",
    )
    async with running_app(settings) as (app, client):
        chat = await client.post("/api/v1/chat", json={"text": "/emergency_numbers"})
        update = await post_telegram(client, telegram_command(515, "/help"))
        after = await counts(app.state.sessions)

    assert chat.status_code == 200
    # Not acknowledged, so Telegram delivers it again later; nothing was recorded for it.
    assert update.status_code == 503
    assert after["inbound_messages"] == 0


async def test_an_update_that_fails_is_not_acknowledged_and_its_redelivery_is_processed(
    database_url, dead_nlu_url, telegram_api, monkeypatch
):
    async with running_app(telegram_settings(database_url, dead_nlu_url, telegram_api)) as (app, client):
        update = telegram_message(516, text="HELP fire!")
        with monkeypatch.context() as patch:

            async def database_down(message):
                raise ConnectionError("database down")

            patch.setattr(app.state.dialogue, "handle", database_down)
            failed = await post_telegram(client, update)
        redelivered = await post_telegram(client, update)
        await app.state.messengers.drain()
        incident, _ = await only_incident(app.state.sessions)

    assert (failed.status_code, redelivered.status_code) == (503, 200)
    assert incident.incident_type == "fire"
    assert len(telegram_api.sent(516)) >= 1
