"""The neutral reply rendered for LINE and Telegram within their limits, with plain-text fallbacks."""

from __future__ import annotations

from actions.replies import Button, PlaceCard, Reply
from bot.channels.render import (
    callback_data,
    fit,
    line_messages,
    plain_text,
    telegram_messages,
    utf16_length,
)
from bot.outbound import retry_after_seconds

MENU = tuple(Button(f"Choice number {n} with a long title", f"/intent_{n}") for n in range(15))
PLACE = PlaceCard(
    "Patong Hospital", 7.8965, 98.3019, "https://www.google.com/maps/?q=1", 850.0, "076 342 633"
)


def test_line_quick_replies_respect_the_limits_and_put_the_location_first():
    [message] = [m.to_dict() for m in line_messages(Reply("Menu", MENU, request_location=True), "📍 Share")]
    items = message["quickReply"]["items"]
    assert len(items) == 13
    assert items[0]["action"] == {"type": "location", "label": "📍 Share"}
    assert all(utf16_length(item["action"]["label"]) <= 20 for item in items)
    assert items[1]["action"]["data"] == "/intent_0"
    assert items[1]["action"]["displayText"] == MENU[0].title


def test_line_places_are_a_carousel_after_the_text_and_carry_the_quick_replies():
    reply = Reply("Nearest hospitals", (Button("Menu", "/help"),), places=(PLACE,))
    text, flex = (m.to_dict() for m in line_messages(reply, "📍"))
    assert text == {"type": "text", "text": "Nearest hospitals"}
    assert flex["altText"] == "Nearest hospitals"
    [bubble] = flex["contents"]["contents"]
    map_button, phone_button = bubble["footer"]["contents"]
    assert map_button["action"]["uri"] == PLACE.map_url
    assert phone_button["action"]["uri"] == "tel:076342633"
    assert flex["quickReply"]["items"][0]["action"]["data"] == "/help"


def test_telegram_buttons_and_a_location_request_need_two_messages():
    reply = Reply("Where are you?", (Button("Menu", "/help"),), request_location=True)
    first, second = telegram_messages(reply, "📍 Share my location", "Share your location or write a place.")
    assert (
        first.markup is not None
        and first.markup.to_dict()["inline_keyboard"][0][0]["callback_data"] == "/help"
    )
    keyboard = second.markup.to_dict()
    assert keyboard["keyboard"][0][0] == {"text": "📍 Share my location", "request_location": True}
    assert second.text == "Share your location or write a place."


def test_telegram_places_are_map_link_buttons_without_previews():
    [message] = telegram_messages(Reply("Nearest hospitals", places=(PLACE,)), "📍", "")
    assert message.markup.to_dict()["inline_keyboard"] == [
        [{"text": "🗺 Patong Hospital", "url": PLACE.map_url}]
    ]
    assert message.link_preview is not None and message.link_preview.is_disabled


def test_callback_data_fits_64_bytes_or_the_button_is_left_out():
    assert callback_data("/find_hospital") == "/find_hospital"
    compact = callback_data('/report_emergency{"incident_type": "traffic_accident", "x": "abcd"}')
    assert compact == '/report_emergency{"incident_type":"traffic_accident","x":"abcd"}'
    assert callback_data("/" + "x" * 70) is None


def test_plain_text_lists_the_buttons_as_commands_and_fit_counts_utf16():
    assert (
        plain_text(Reply("Menu", (Button("Hospital", "/find_hospital"),)))
        == "Menu\n• Hospital: /find_hospital"
    )
    assert utf16_length(fit("🆘" * 30, 20)) <= 20
    assert fit("short", 20) == "short"


def test_retry_after_in_seconds_or_as_a_date():
    assert retry_after_seconds("3") == 3.0
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None
