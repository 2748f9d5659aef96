"""LINE end to end: signed webhooks into the app, line-bot-sdk v3 out to a fake LINE API over HTTP."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from actions.db.models import Incident, IncidentAttachment
from actions.domain import Channel
from actions.i18n import default_translator
from actions.replies import Reply
from bot.channels import line as line_channel
from bot.channels.render import fit
from tests.bot.channels.conftest import (
    counts,
    line_event,
    line_location,
    line_message,
    line_settings,
    line_signature,
    line_text,
    only_incident,
    post_line,
    texts,
    user_of,
)
from tests.bot.conftest import make_settings, running_app


def quick_reply_actions(message):
    return [item["action"] for item in (message.get("quickReply") or {}).get("items", [])]


@pytest.mark.nlu
async def test_a_thai_sos_gets_a_thai_reply_with_the_numbers_and_a_location_quick_reply(
    database_url, nlu_url, line_api
):
    async with running_app(line_settings(database_url, nlu_url, line_api)) as (app, client):
        token = line_api.reply_token("U-thai")
        response = await post_line(client, line_text("U-thai", token, "ช่วยด้วย มีคนจมน้ำ"))
        await app.state.messengers.drain()
        incident, _ = await only_incident(app.state.sessions)

    assert response.status_code == 200
    assert incident.incident_type == "drowning" and incident.channel == "line"
    [reply] = line_api.calls("reply")
    assert reply.data["replyToken"] == token
    messages = reply.data["messages"]
    text = texts(messages)
    assert incident.reference in text and "1669" in text
    assert "ตำแหน่ง" in text or "อยู่ที่ไหน" in text  # Thai, not English
    location_actions = [a for a in quick_reply_actions(messages[-1]) if a["type"] == "location"]
    assert len(location_actions) == 1
    thai_label = default_translator()("th", "button.share_location")
    assert thai_label != default_translator()("en", "button.share_location")
    assert location_actions[0]["label"] == fit(thai_label, 20)


async def test_a_forged_or_missing_signature_is_refused_and_changes_nothing(
    database_url, dead_nlu_url, line_api
):
    async with running_app(line_settings(database_url, dead_nlu_url, line_api)) as (app, client):
        before = await counts(app.state.sessions)
        event = line_text("U-forged", line_api.reply_token("U-forged"), "HELP fire!")
        missing = await post_line(client, event, signature=None)
        wrong = await post_line(client, event, signature="c2lnbmF0dXJl")
        # A forged body is refused before it is parsed, even when it is not JSON.
        garbage = await client.post("/webhooks/line", content=b"{not json", headers={"X-Line-Signature": "x"})
        await app.state.messengers.drain()
        after = await counts(app.state.sessions)

    assert (missing.status_code, wrong.status_code, garbage.status_code) == (401, 401, 401)
    assert after == before
    assert line_api.requests == [] and line_api.data.requests == []


async def test_a_signed_malformed_body_is_a_400(database_url, dead_nlu_url, line_api):
    async with running_app(line_settings(database_url, dead_nlu_url, line_api)) as (_, client):
        responses = []
        for body in (b"{not json", b"[]", b'{"destination": "U"}', b'{"events": [{"no": "type"}]}'):
            signature = line_signature(body)
            responses.append(
                await client.post("/webhooks/line", content=body, headers={"X-Line-Signature": signature})
            )
        # The console's "Verify" button sends no events at all.
        verify = await post_line(client)
    assert [r.status_code for r in responses] == [400, 400, 400, 400]
    assert verify.status_code == 200


async def test_a_redelivered_event_makes_one_incident_and_one_answer(database_url, dead_nlu_url, line_api):
    async with running_app(line_settings(database_url, dead_nlu_url, line_api)) as (app, client):
        event = line_text("U-redo", line_api.reply_token("U-redo"), "HELP my friend is drowning")
        first = await post_line(client, event)
        again = dict(event, deliveryContext={"isRedelivery": True}, replyToken=line_api.reply_token("U-redo"))
        second = await post_line(client, again)
        await app.state.messengers.drain()
        incident, events = await only_incident(app.state.sessions)

    assert (first.status_code, second.status_code) == (200, 200)
    assert incident.incident_type == "drowning"
    assert [e.kind for e in events] == ["created"]
    assert len(line_api.calls("reply")) == 1 and line_api.calls("push") == []


async def test_a_429_is_retried_after_its_retry_after_and_delivered(database_url, dead_nlu_url, line_api):
    line_api.fail_next("reply", 429, {"message": "Too many requests"}, headers={"Retry-After": "1"})
    async with running_app(line_settings(database_url, dead_nlu_url, line_api)) as (app, client):
        token = line_api.reply_token("U-429")
        response = await post_line(client, line_text("U-429", token, "/emergency_numbers"))
        await app.state.messengers.drain()

    assert response.status_code == 200
    attempts = line_api.calls("reply")
    assert [a.status for a in attempts] == [429, 200]
    assert attempts[0].data == attempts[1].data
    assert "1669" in texts(line_api.delivered("U-429"))


async def test_a_used_or_expired_reply_token_falls_back_to_push(database_url, dead_nlu_url, line_api):
    async with running_app(line_settings(database_url, dead_nlu_url, line_api)) as (app, client):
        token = line_api.reply_token("U-late")
        line_api.expire(token)
        await post_line(client, line_text("U-late", token, "/emergency_numbers"))
        await app.state.messengers.drain()

    assert [r.status for r in line_api.calls("reply")] == [400]
    [push] = line_api.calls("push")
    assert push.status == 200 and push.data["to"] == "U-late"
    assert push.headers.get("X-Line-Retry-Key")
    assert "1669" in texts(line_api.delivered("U-late"))


async def test_an_outage_of_the_platform_neither_blocks_the_webhook_nor_loses_the_incident(
    database_url, dead_nlu_url, line_api
):
    line_api.fail_next("reply", 500, {"message": "Internal error"}, times=10)
    line_api.fail_next("push", 503, {"message": "Service unavailable"}, times=10)
    line_api.fail_next("loading", 500, {"message": "Internal error"}, times=10)
    settings = line_settings(database_url, dead_nlu_url, line_api, outbound_attempts=2)
    async with running_app(settings) as (app, client):
        response = await post_line(client, line_text("U-down", line_api.reply_token("U-down"), "HELP fire!"))
        # The webhook has been answered; the incident is committed before any sending.
        incident, _ = await only_incident(app.state.sessions)
        await app.state.messengers.drain()

    assert response.status_code == 200
    assert incident.incident_type == "fire"
    assert [r.status for r in line_api.calls("reply")] == [500, 500]
    pushes = line_api.calls("push")
    assert [r.status for r in pushes] == [503, 503]
    # The same retry key on every attempt: LINE would not deliver a push twice.
    assert len({p.headers["X-Line-Retry-Key"] for p in pushes}) == 1


async def test_an_image_is_downloaded_from_the_data_api_and_attached_to_the_open_incident(
    database_url, dead_nlu_url, line_api
):
    jpeg = b"\xff\xd8\xff\xe0fake-jpeg-bytes"
    async with running_app(line_settings(database_url, dead_nlu_url, line_api)) as (app, client):
        await post_line(client, line_text("U-img", line_api.reply_token("U-img"), "HELP fire!"))
        image = line_message(
            "U-img", line_api.reply_token("U-img"), {"type": "image", "contentProvider": {"type": "line"}}
        )
        line_api.data.contents[image["message"]["id"]] = (jpeg, "image/jpeg")
        response = await post_line(client, image)
        await app.state.messengers.drain()
        incident, events = await only_incident(app.state.sessions)
        async with app.state.sessions() as session:
            attachment = (await session.scalars(select(IncidentAttachment))).one()

    assert response.status_code == 200
    [download] = line_api.data.calls("content")
    assert download.path == f"/v2/bot/message/{image['message']['id']}/content"
    assert download.headers["Authorization"] == "Bearer line-test-access-token"
    assert [e.kind for e in events] == ["created", "photo"]
    assert attachment.incident_id == incident.id and attachment.data == jpeg
    assert incident.reference in texts(line_api.delivered("U-img")[-1:])


async def test_a_sticker_gets_the_help_menu_as_postback_quick_replies(database_url, dead_nlu_url, line_api):
    async with running_app(line_settings(database_url, dead_nlu_url, line_api)) as (app, client):
        sticker = {
            "type": "sticker",
            "packageId": "446",
            "stickerId": "1988",
            "stickerResourceType": "STATIC",
        }
        await post_line(client, line_message("U-sticker", line_api.reply_token("U-sticker"), sticker))
        await app.state.messengers.drain()

    [message] = line_api.delivered("U-sticker")
    actions = quick_reply_actions(message)
    assert {a["type"] for a in actions} == {"postback"}
    assert {"/report_emergency", "/find_hospital", "/emergency_numbers"} <= {a["data"] for a in actions}
    assert all(1 <= len(a["label"]) <= 20 and a["displayText"] for a in actions)


async def test_a_postback_is_its_payload_and_places_come_as_a_flex_carousel(
    database_url, dead_nlu_url, line_api
):
    async with running_app(line_settings(database_url, dead_nlu_url, line_api)) as (app, client):
        postback = line_event(
            "postback",
            "U-places",
            reply_token=line_api.reply_token("U-places"),
            postback={"data": "/find_hospital"},
        )
        await post_line(client, postback)
        await post_line(client, line_location("U-places", line_api.reply_token("U-places"), 7.8965, 98.3019))
        await app.state.messengers.drain()

    asked, *answer = line_api.delivered("U-places")
    assert [a["type"] for a in quick_reply_actions(asked)] == ["location"]
    text, flex = answer
    assert "Patong Hospital" in text["text"]
    assert flex["type"] == "flex" and flex["contents"]["type"] == "carousel"
    bubbles = flex["contents"]["contents"]
    assert len(bubbles) == 3
    first_uri = bubbles[0]["footer"]["contents"][0]["action"]
    assert first_uri["type"] == "uri" and first_uri["uri"].startswith("https://www.google.com/maps/")
    assert flex["altText"] == text["text"]


async def test_follow_greets_in_the_profile_language_and_unfollow_stops_every_delivery(
    database_url, dead_nlu_url, line_api
):
    line_api.profiles["U-fan"] = {"displayName": "Somchai", "language": "th"}
    async with running_app(line_settings(database_url, dead_nlu_url, line_api)) as (app, client):
        await post_line(
            client,
            line_event(
                "follow", "U-fan", reply_token=line_api.reply_token("U-fan"), follow={"isUnblocked": False}
            ),
        )
        await app.state.messengers.drain()
        followed = await user_of(app.state.sessions, Channel.LINE, "U-fan")
        greeting = line_api.delivered("U-fan")

        await post_line(client, line_event("unfollow", "U-fan"))
        unfollowed = await user_of(app.state.sessions, Channel.LINE, "U-fan")
        # A notification for them afterwards is not pushed.
        await app.state.messengers.line.push("U-fan", [Reply(text="status changed")], "th")
        await app.state.messengers.drain()

    assert followed is not None and followed.reachable and followed.display_name == "Somchai"
    assert followed.channel_language_hint == "th"
    assert greeting and "สวัสดี" in texts(greeting)
    assert unfollowed is not None and unfollowed.reachable is False
    assert line_api.calls("push") == []


async def test_unknown_events_and_message_types_are_ignored(database_url, dead_nlu_url, line_api):
    async with running_app(line_settings(database_url, dead_nlu_url, line_api)) as (app, client):
        before = await counts(app.state.sessions)
        response = await post_line(
            client,
            line_event("somethingNew", "U-x"),
            line_event("unsend", "U-x", unsend={"messageId": "1"}),
            line_message(
                "U-x",
                line_api.reply_token("U-x"),
                {"type": "audio", "duration": 1000, "contentProvider": {"type": "line"}},
            ),
        )
        await app.state.messengers.drain()
        after = await counts(app.state.sessions)

    assert response.status_code == 200
    assert after == before
    assert line_api.requests == []


async def test_a_slow_answer_shows_the_loading_animation_before_it(
    database_url, dead_nlu_url, line_api, monkeypatch
):
    monkeypatch.setattr(line_channel, "LOADING_AFTER_S", 0.0)
    async with running_app(line_settings(database_url, dead_nlu_url, line_api)) as (app, client):
        await post_line(client, line_text("U-slow", line_api.reply_token("U-slow"), "/emergency_numbers"))
        await app.state.messengers.drain()

    endpoints = [r.endpoint for r in line_api.requests]
    assert endpoints == ["loading", "reply"]
    assert line_api.calls("loading")[0].data == {"chatId": "U-slow", "loadingSeconds": 20}


async def test_readyz_lists_the_channels_that_are_on(database_url, dead_nlu_url, line_api):
    async with running_app(line_settings(database_url, dead_nlu_url, line_api)) as (_, client):
        ready = await client.get("/readyz")
    assert ready.json()["channels"] == ["web", "line"]


async def test_without_credentials_line_is_off(database_url, dead_nlu_url):
    async with running_app(make_settings(database_url, dead_nlu_url)) as (_, client):
        response = await client.post("/webhooks/line", content=b"{}", headers={"X-Line-Signature": "x"})
        ready = await client.get("/readyz")
    assert response.status_code == 404
    assert ready.json()["channels"] == ["web"]


async def test_incident_count_is_one_per_sos_across_users(database_url, dead_nlu_url, line_api):
    async with running_app(line_settings(database_url, dead_nlu_url, line_api)) as (app, client):
        await post_line(
            client,
            line_text("U-a", line_api.reply_token("U-a"), "HELP fire!"),
            line_text("U-b", line_api.reply_token("U-b"), "HELP my friend is drowning"),
        )
        await app.state.messengers.drain()
        async with app.state.sessions() as session:
            incidents = list(await session.scalars(select(Incident).order_by(Incident.id)))
    assert [i.incident_type for i in incidents] == ["fire", "drowning"]
    assert len(line_api.calls("reply")) == 2


async def test_messages_line_refuses_are_sent_again_as_plain_text(database_url, dead_nlu_url, line_api):
    line_api.fail_next("reply", 400, {"message": "The request body has 1 error(s)"})
    async with running_app(line_settings(database_url, dead_nlu_url, line_api)) as (app, client):
        await post_line(client, line_text("U-plain", line_api.reply_token("U-plain"), "/help"))
        await app.state.messengers.drain()

    rich, plain = line_api.calls("reply")
    assert (rich.status, plain.status) == (400, 200)
    [message] = plain.data["messages"]
    assert "quickReply" not in message
    assert "/find_hospital" in message["text"] and "/report_emergency" in message["text"]


async def test_an_image_the_content_api_fails_to_give_is_fetched_again_after_the_webhook(
    database_url, dead_nlu_url, line_api
):
    line_api.data.fail_next("content", 503, {"message": "unavailable"})
    async with running_app(line_settings(database_url, dead_nlu_url, line_api)) as (app, client):
        await post_line(client, line_text("U-late-img", line_api.reply_token("U-late-img"), "HELP fire!"))
        image = line_message(
            "U-late-img",
            line_api.reply_token("U-late-img"),
            {"type": "image", "contentProvider": {"type": "line"}},
        )
        line_api.data.contents[image["message"]["id"]] = (b"\xff\xd8late", "image/jpeg")
        response = await post_line(client, image)
        await app.state.messengers.drain()
        _, events = await only_incident(app.state.sessions)

    assert response.status_code == 200
    assert [r.status for r in line_api.data.calls("content")] == [503, 200]
    assert [e.kind for e in events] == ["created", "photo"]


async def test_a_webhook_that_fails_is_not_acknowledged_and_its_redelivery_is_processed(
    database_url, dead_nlu_url, line_api, monkeypatch
):
    async with running_app(line_settings(database_url, dead_nlu_url, line_api)) as (app, client):
        event = line_text("U-retry", line_api.reply_token("U-retry"), "HELP fire!")
        with monkeypatch.context() as patch:

            async def database_down(message):
                raise ConnectionError("database down")

            patch.setattr(app.state.dialogue, "handle", database_down)
            failed = await post_line(client, event)
        redelivered = await post_line(client, dict(event, deliveryContext={"isRedelivery": True}))
        await app.state.messengers.drain()
        incident, _ = await only_incident(app.state.sessions)

    assert (failed.status_code, redelivered.status_code) == (503, 200)
    assert incident.incident_type == "fire"
    assert "1669" in texts(line_api.delivered("U-retry"))
