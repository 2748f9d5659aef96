"""The channel-neutral :class:`~actions.replies.Reply` as LINE messages and Telegram messages.

Each platform gets what it shows best (LINE quick replies and a Flex carousel of places; Telegram
inline keyboards and a location keyboard), and every reply also has a plain-text form, used when a
platform refuses the rich one.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from linebot.v3.messaging import (
    FlexBox,
    FlexBubble,
    FlexButton,
    FlexCarousel,
    FlexMessage,
    FlexText,
    LocationAction,
    PostbackAction,
    QuickReply,
    QuickReplyItem,
    TextMessage,
    URIAction,
)
from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    LinkPreviewOptions,
    ReplyKeyboardMarkup,
)

from actions.i18n import Translator
from actions.places.geo import format_distance
from actions.replies import Button, PlaceCard, Reply

logger = logging.getLogger(__name__)

# Platform limits (LINE Messaging API reference; Telegram Bot API).
LINE_TEXT_MAX = 5000
LINE_ALT_TEXT_MAX = 1500
LINE_LABEL_MAX = 20
LINE_POSTBACK_MAX = 300
LINE_QUICK_REPLY_MAX = 13
LINE_CAROUSEL_MAX = 12
LINE_MESSAGES_PER_CALL = 5
TELEGRAM_TEXT_MAX = 4096
TELEGRAM_CALLBACK_MAX = 64

MAP_LABEL = "🗺 Google Maps"


def utf16_length(text: str) -> int:
    """Length as both platforms count it: in UTF-16 code units (an emoji often counts two)."""
    return len(text.encode("utf-16-le")) // 2


def fit(text: str, limit: int) -> str:
    """`text` cut to `limit` UTF-16 code units, marked with an ellipsis when cut."""
    if utf16_length(text) <= limit:
        return text
    kept, used = [], 1  # the ellipsis
    for char in text:
        used += utf16_length(char)
        if used > limit:
            break
        kept.append(char)
    return "".join(kept) + "…"


def share_location_title(translator: Translator, language: str) -> str:
    return translator(language, "button.share_location")


def plain_text(reply: Reply) -> str:
    """A reply as text alone: a button becomes its command, which the user can type or tap."""
    lines = [reply.text]
    lines.extend(f"• {button.title}: {button.payload}" for button in reply.buttons)
    return "\n".join(lines)


# LINE ---------------------------------------------------------------------------------------


def line_messages(reply: Reply, share_location: str) -> list[Any]:
    """One reply as LINE messages: its text, then a carousel of its places; quick replies last."""
    messages: list[Any] = [TextMessage(text=fit(reply.text, LINE_TEXT_MAX))]
    if reply.places:
        messages.append(
            FlexMessage(
                alt_text=fit(reply.text, LINE_ALT_TEXT_MAX),
                contents=FlexCarousel(
                    contents=[_line_place_bubble(place) for place in reply.places[:LINE_CAROUSEL_MAX]]
                ),
            )
        )
    actions = (_line_postback(button) for button in reply.buttons)
    items = [QuickReplyItem(action=action) for action in actions if action is not None]
    if reply.request_location:
        # The location button first: in an emergency it is the one that matters.
        items.insert(0, QuickReplyItem(action=LocationAction(label=fit(share_location, LINE_LABEL_MAX))))
    if items:
        # LINE shows the quick replies of the latest message only, so they go on the last one.
        messages[-1].quick_reply = QuickReply(items=items[:LINE_QUICK_REPLY_MAX])
    return messages


def line_plain_messages(reply: Reply) -> list[Any]:
    return [TextMessage(text=fit(plain_text(reply), LINE_TEXT_MAX))]


def _line_postback(button: Button) -> PostbackAction | None:
    if len(button.payload) > LINE_POSTBACK_MAX:
        logger.warning("LINE: payload of %r too long for a postback; button left out", button.title)
        return None
    # displayText shows the user's choice in the chat; the payload goes back as postback data.
    return PostbackAction(
        label=fit(button.title, LINE_LABEL_MAX), data=button.payload, display_text=button.title
    )


def _line_place_bubble(place: PlaceCard) -> FlexBubble:
    body: list[Any] = [FlexText(text=place.name, weight="bold", wrap=True)]
    if place.distance_m is not None:
        body.append(FlexText(text=format_distance(place.distance_m), size="sm", color="#666666"))
    buttons: list[Any] = [FlexButton(style="primary", action=URIAction(label=MAP_LABEL, uri=place.map_url))]
    if place.phone:
        buttons.append(
            FlexButton(
                style="secondary",
                action=URIAction(label=fit(f"📞 {place.phone}", LINE_LABEL_MAX), uri=_tel(place.phone)),
            )
        )
    return FlexBubble(
        size="kilo",
        body=FlexBox(layout="vertical", spacing="sm", contents=body),
        footer=FlexBox(layout="vertical", spacing="sm", contents=buttons),
    )


def _tel(phone: str) -> str:
    return "tel:" + "".join(ch for ch in phone if ch.isdigit() or ch == "+")


# Telegram -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TelegramText:
    """One `sendMessage`: text and at most one keyboard."""

    text: str
    markup: InlineKeyboardMarkup | ReplyKeyboardMarkup | None = None
    link_preview: LinkPreviewOptions | None = None


def telegram_messages(reply: Reply, share_location: str, location_hint: str) -> list[TelegramText]:
    """One reply as Telegram messages.

    Buttons and map links become an inline keyboard; a location request becomes a one-time reply
    keyboard with a location button, which needs a message of its own when the inline keyboard
    is already taken (`location_hint` is its text).
    """
    rows = [
        [InlineKeyboardButton(button.title, callback_data=data)]
        for button in reply.buttons
        if (data := callback_data(button.payload)) is not None
    ]
    rows.extend([InlineKeyboardButton(f"🗺 {place.name}", url=place.map_url)] for place in reply.places)
    # Several map links in one message would each get a preview; none is wanted.
    preview = LinkPreviewOptions(is_disabled=True) if reply.places else None
    text = fit(reply.text, TELEGRAM_TEXT_MAX)
    location_keyboard = ReplyKeyboardMarkup(
        [[KeyboardButton(share_location, request_location=True)]],
        resize_keyboard=True,
        one_time_keyboard=True,
    )
    if not reply.request_location:
        return [TelegramText(text, InlineKeyboardMarkup(rows) if rows else None, preview)]
    if not rows:
        return [TelegramText(text, location_keyboard, preview)]
    return [
        TelegramText(text, InlineKeyboardMarkup(rows), preview),
        TelegramText(location_hint, location_keyboard),
    ]


def telegram_plain_message(reply: Reply) -> TelegramText:
    return TelegramText(fit(plain_text(reply), TELEGRAM_TEXT_MAX))


def callback_data(payload: str) -> str | None:
    """A payload within Telegram's 64 bytes of callback data, or None when it cannot fit."""
    if len(payload.encode()) <= TELEGRAM_CALLBACK_MAX:
        return payload
    # `/intent{"key": "value"}` without the spaces of its JSON often fits.
    head, brace, rest = payload.partition("{")
    if brace:
        try:
            compact = head + json.dumps(json.loads(brace + rest), separators=(",", ":"), ensure_ascii=False)
        except ValueError:
            compact = payload
        if len(compact.encode()) <= TELEGRAM_CALLBACK_MAX:
            return compact
    logger.warning("Telegram: payload %r over %d bytes; button left out", payload, TELEGRAM_CALLBACK_MAX)
    return None
