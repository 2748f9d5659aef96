"""The shape of the Telegram updates we act on, checked before python-telegram-bot reads them.

PTB builds its objects from whatever JSON it is given without checking types, so a correctly
signed update with, say, a number for a text or `true` for a language code would fail deep in
the dialogue (a 503, and Telegram would send it again and again). These models check the
fields the bot reads, with strict types; anything else Telegram sends is allowed through.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt, StrictStr


class _Shape(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class _User(_Shape):
    id: StrictInt
    is_bot: StrictBool = False
    first_name: StrictStr
    last_name: StrictStr | None = None
    language_code: StrictStr | None = None


class _Chat(_Shape):
    id: StrictInt
    type: StrictStr


class _Location(_Shape):
    latitude: StrictFloat | StrictInt
    longitude: StrictFloat | StrictInt


class _PhotoSize(_Shape):
    file_id: StrictStr
    file_unique_id: StrictStr = ""
    width: StrictInt
    height: StrictInt


class _Entity(_Shape):
    type: StrictStr
    offset: StrictInt
    length: StrictInt


class _Message(_Shape):
    message_id: StrictInt
    date: StrictInt
    chat: _Chat
    sender: _User | None = Field(default=None, alias="from")
    text: StrictStr | None = None
    caption: StrictStr | None = None
    entities: list[_Entity] | None = None
    location: _Location | None = None
    photo: list[_PhotoSize] | None = None


class _CallbackQuery(_Shape):
    id: StrictStr
    sender: _User = Field(alias="from")
    chat_instance: StrictStr
    data: StrictStr | None = None
    message: _Message | None = None


class _ChatMember(_Shape):
    status: StrictStr
    user: _User


class _ChatMemberUpdated(_Shape):
    chat: _Chat
    sender: _User = Field(alias="from")
    date: StrictInt
    old_chat_member: _ChatMember
    new_chat_member: _ChatMember


class UpdateShape(_Shape):
    update_id: StrictInt
    message: _Message | None = None
    edited_message: _Message | None = None
    callback_query: _CallbackQuery | None = None
    my_chat_member: _ChatMemberUpdated | None = None


def check_update_shape(data: Any) -> None:
    """Raise ValueError (pydantic's ValidationError is one) when `data` is not an update we can read."""
    UpdateShape.model_validate(data)
