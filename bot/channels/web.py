"""The web channel: `POST /api/v1/chat` (JSON) and the chat page at `/`.

Who is talking is the server's business: a signed cookie it issued (bot/security/identity.py),
never an id in the body; a request without a valid cookie is a new anonymous user.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from importlib import resources
from typing import Annotated, Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import Base64Bytes, BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from actions.db.models import User
from actions.domain import Channel
from actions.notify import pending_notices
from actions.places.geo import Point
from bot.channels.base import DialogueResult, IncomingMessage
from bot.dialogue.engine import Dialogue
from bot.security.addresses import ClientAddresses
from bot.security.identity import COOKIE_MAX_AGE_S, COOKIE_NAME, WebIdentities

logger = logging.getLogger(__name__)

router = APIRouter()


class ChatLocation(BaseModel):
    lat: Annotated[float, Field(ge=-90, le=90)]
    lon: Annotated[float, Field(ge=-180, le=180)]


class ChatPhoto(BaseModel):
    content_type: Annotated[str, Field(pattern=r"^image/[a-z0-9.+-]+$", max_length=64)]
    # Base64; about 10 MB of image at most.
    data: Annotated[Base64Bytes, Field(max_length=14_000_000)]


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Accepted so that old clients keep working, and ignored: the cookie says who is talking.
    user_id: Annotated[
        str | None,
        Field(
            max_length=128,
            deprecated=True,
            description="Ignored: the user is the one of the signed cookie the server issued.",
        ),
    ] = None
    text: Annotated[str | None, Field(max_length=4000)] = None
    location: ChatLocation | None = None
    photo: ChatPhoto | None = None
    message_id: Annotated[str | None, Field(min_length=1, max_length=128)] = None
    language: Annotated[str | None, Field(max_length=16)] = None

    @model_validator(mode="after")
    def _one_kind_of_content(self) -> ChatRequest:
        given = [bool(self.text and self.text.strip()), self.location is not None, self.photo is not None]
        if sum(given) != 1:
            raise ValueError("send exactly one of: a non-empty text, a location, a photo")
        return self


class ChatResponse(BaseModel):
    replies: list[dict[str, Any]]
    language: str
    incident_reference: str | None = None


class ChatUnavailable(BaseModel):
    """The database is down: the replies give the emergency numbers."""

    detail: str
    replies: list[dict[str, Any]]
    language: str
    saved: bool = Field(description="The message may be an emergency and is kept until the database is back.")


@router.post(
    "/api/v1/chat",
    response_model=ChatResponse,
    responses={503: {"model": ChatUnavailable, "description": "The database is down."}},
)
async def chat(body: ChatRequest, request: Request, response: Response) -> ChatResponse | JSONResponse:
    dialogue: Dialogue = request.app.state.dialogue
    identities: WebIdentities = request.app.state.web_identities
    addresses: ClientAddresses = request.app.state.client_addresses
    identity = identities.identity_of(request.cookies.get(COOKIE_NAME)) or identities.new_identity()
    location = Point(body.location.lat, body.location.lon) if body.location else None
    result = await dialogue.handle(
        IncomingMessage(
            channel=Channel.WEB,
            user_id=identity,
            text=body.text.strip() if body.text else None,
            location=location,
            photo=body.photo.data if body.photo else None,
            photo_content_type=body.photo.content_type if body.photo else None,
            message_id=identities.scoped_message_id(identity, body.message_id) if body.message_id else None,
            language_hint=body.language,
            client_key=identities.address_key(addresses.of(request)),
        )
    )
    if result.unavailable:
        unavailable = JSONResponse(status_code=503, content=_unavailable(result).model_dump())
        _set_identity(unavailable, request, identities, identity)
        return unavailable
    _set_identity(response, request, identities, identity)
    return ChatResponse(
        replies=[reply.to_dict() for reply in result.replies],
        language=result.language,
        incident_reference=result.incident_reference,
    )


def _unavailable(result: DialogueResult) -> ChatUnavailable:
    return ChatUnavailable(
        detail="the service is temporarily unavailable; try again in a minute",
        replies=[reply.to_dict() for reply in result.replies],
        language=result.language,
        saved=result.journaled,
    )


def _set_identity(response: Response, request: Request, identities: WebIdentities, identity: str) -> None:
    """(Re)issue the identity cookie: HttpOnly (no script reads it), SameSite=Lax, Secure on HTTPS."""
    addresses: ClientAddresses = request.app.state.client_addresses
    response.set_cookie(
        COOKIE_NAME,
        identities.cookie_value(identity),
        max_age=COOKIE_MAX_AGE_S,
        httponly=True,
        samesite="lax",
        secure=addresses.is_https(request),
        path="/",
    )


class NoticesRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Accepted so that old clients keep working, and ignored: the cookie says whose notices.
    user_id: Annotated[
        str | None,
        Field(
            max_length=128,
            deprecated=True,
            description="Ignored: the user is the one of the signed cookie the server issued.",
        ),
    ] = None


class NoticesResponse(BaseModel):
    # Messages for the user since their last turn (status changes, responders' messages), oldest first.
    notices: list[str]


@router.post("/api/v1/chat/notices", response_model=NoticesResponse)
async def chat_notices(body: NoticesRequest, request: Request) -> NoticesResponse:
    """What was left for this browser's user meanwhile; the chat page asks every few seconds.

    The same notices the next turn would show first (the web cannot push): each is shown once,
    here or there, whichever asks first. Without the identity cookie there is nobody to tell.
    """
    identities: WebIdentities = request.app.state.web_identities
    identity = identities.identity_of(request.cookies.get(COOKIE_NAME))
    if identity is None:
        return NoticesResponse(notices=[])
    sessions: async_sessionmaker[AsyncSession] = request.app.state.sessions
    async with sessions() as session:
        user_id = await session.scalar(
            select(User.id).where(User.channel == Channel.WEB, User.channel_user_id == identity)
        )
        if user_id is None:
            return NoticesResponse(notices=[])
        notices = await pending_notices(session, user_id)
        now = datetime.now(UTC)
        for notice in notices:
            notice.delivered_at = now
        await session.commit()
    return NoticesResponse(notices=[notice.text for notice in notices])


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
async def chat_page() -> HTMLResponse:
    page = resources.files("bot.web").joinpath("chat.html").read_text(encoding="utf-8")
    return HTMLResponse(page)
