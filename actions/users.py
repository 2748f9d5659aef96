"""Users and their conversation state."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from actions.db.models import ConversationState, User


async def get_or_create_user(
    session: AsyncSession,
    channel: str,
    channel_user_id: str,
    *,
    display_name: str | None = None,
    language_hint: str | None = None,
) -> User:
    statement = select(User).where(User.channel == channel, User.channel_user_id == channel_user_id)
    user = await session.scalar(statement)
    if user is None:
        user = User(channel=channel, channel_user_id=channel_user_id)
        try:
            async with session.begin_nested():
                session.add(user)
                await session.flush()
        except IntegrityError:
            # Created concurrently by another request for the same user.
            user = (await session.scalars(statement)).one()
    if display_name and user.display_name != display_name:
        user.display_name = display_name
    if language_hint and user.channel_language_hint != language_hint:
        user.channel_language_hint = language_hint
    return user


async def get_state(session: AsyncSession, user: User) -> ConversationState:
    state = await session.get(ConversationState, user.id)
    if state is None:
        state = ConversationState(user_id=user.id, slots={})
        session.add(state)
    return state
