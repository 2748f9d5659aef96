"""A fake LINE Messaging API (api.line.me and api-data.line.me) that answers like the real one.

It checks the bearer token, enforces the limits our renderer must respect (1–5 messages, text and
label lengths, 13 quick replies), accepts a reply token once (a used or expired one gets LINE's
400 "Invalid reply token"), accepts a push or multicast retry key once (409 afterwards), limits a
multicast to 500 user ids, answers 429 above `multicast_limit` requests per second when one is set,
and records everything.
"""

from __future__ import annotations

import itertools
import uuid
from collections import Counter
from typing import Any

from aiohttp import web

from tests.fakes.server import DATA, FakeServer, Gate, RateLimit

INVALID_REPLY_TOKEN = {"message": "Invalid reply token"}
RETRY_KEY_ACCEPTED = {"message": "The retry key is already accepted"}
MAX_MULTICAST_RECIPIENTS = 500


class FakeLineData(FakeServer):
    """The content host: image bytes by message id."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token
        self.contents: dict[str, tuple[bytes, str]] = {}
        self.app.router.add_get("/v2/bot/message/{message_id}/content", self._content, name="content")

    def refuse(self, request: web.Request) -> web.StreamResponse | None:
        return _unauthorized(request, self.token)

    async def _content(self, request: web.Request) -> web.StreamResponse:
        found = self.contents.get(request.match_info["message_id"])
        if found is None:
            return web.json_response({"message": "Not found"}, status=404)
        body, content_type = found
        return web.Response(body=body, content_type=content_type)


class FakeLineApi(FakeServer):
    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token
        self.data = FakeLineData(token)
        self.profiles: dict[str, dict[str, Any]] = {}
        self._token_owner: dict[str, str] = {}
        self._used_tokens: set[str] = set()
        self._retry_keys: set[str] = set()
        self._ids = itertools.count(100000)
        # Accepted multicasts, in order: (retry key, user ids, messages).
        self.multicasts: list[tuple[str | None, list[str], list[dict[str, Any]]]] = []
        self.multicast_limit: RateLimit | None = None
        # Closed: an accepted multicast's response is held back (as if lost on the way back).
        self.multicast_responses = Gate()
        router = self.app.router
        router.add_post("/v2/bot/message/reply", self._reply, name="reply")
        router.add_post("/v2/bot/message/push", self._push, name="push")
        router.add_post("/v2/bot/message/multicast", self._multicast, name="multicast")
        router.add_post("/v2/bot/chat/loading/start", self._loading, name="loading")
        router.add_get("/v2/bot/profile/{user_id}", self._profile, name="profile")
        router.add_put("/v2/bot/channel/webhook/endpoint", self._set_webhook, name="webhook_endpoint")

    async def start(self) -> str:
        await self.data.start()
        return await super().start()

    async def stop(self) -> None:
        await self.data.stop()
        await super().stop()

    # What the tests use ------------------------------------------------------------------

    def reply_token(self, user_id: str) -> str:
        """A fresh reply token, as LINE puts in a webhook event for `user_id`."""
        token = uuid.uuid4().hex
        self._token_owner[token] = user_id
        return token

    def expire(self, token: str) -> None:
        self._used_tokens.add(token)

    def delivered(self, user_id: str) -> list[dict[str, Any]]:
        """Every message that reached `user_id`, by reply or push, in order."""
        messages: list[dict[str, Any]] = []
        for request in self.requests:
            if request.endpoint not in {"reply", "push"} or request.status != 200:
                continue
            body = request.data
            to = body.get("to") if request.endpoint == "push" else self._token_owner.get(body["replyToken"])
            if to == user_id:
                messages.extend(body["messages"])
        return messages

    def multicast_counts(self) -> Counter[str]:
        """How many accepted multicasts reached each user id."""
        return Counter(user_id for _, to, _ in self.multicasts for user_id in to)

    # Serving ---------------------------------------------------------------------------

    def refuse(self, request: web.Request) -> web.StreamResponse | None:
        return _unauthorized(request, self.token)

    def _first_use(self, key: str | None) -> bool:
        """LINE accepts a retry key once; a request repeating an accepted key gets 409."""
        if key is None:
            return True
        if key in self._retry_keys:
            return False
        self._retry_keys.add(key)
        return True

    def _sent(self, count: int) -> web.Response:
        return web.json_response(
            {
                "sentMessages": [
                    {"id": str(next(self._ids)), "quoteToken": uuid.uuid4().hex} for _ in range(count)
                ]
            }
        )

    async def _reply(self, request: web.Request) -> web.StreamResponse:
        body = request[DATA]
        if error := _invalid_messages(body):
            return web.json_response(error, status=400)
        token = body.get("replyToken")
        if token not in self._token_owner or token in self._used_tokens:
            return web.json_response(INVALID_REPLY_TOKEN, status=400)
        self._used_tokens.add(token)
        return self._sent(len(body["messages"]))

    async def _push(self, request: web.Request) -> web.StreamResponse:
        body = request[DATA]
        if error := _invalid_messages(body):
            return web.json_response(error, status=400)
        if not self._first_use(request.headers.get("X-Line-Retry-Key")):
            return web.json_response(RETRY_KEY_ACCEPTED, status=409)
        return self._sent(len(body["messages"]))

    async def _multicast(self, request: web.Request) -> web.StreamResponse:
        if self.multicast_limit is not None and not self.multicast_limit.allow():
            return web.json_response({"message": "Too many requests"}, status=429)
        body = request[DATA]
        if error := _invalid_messages(body):
            return web.json_response(error, status=400)
        to = body.get("to")
        if not isinstance(to, list) or not 1 <= len(to) <= MAX_MULTICAST_RECIPIENTS:
            detail = {"message": f"Size must be between 1 and {MAX_MULTICAST_RECIPIENTS}", "property": "to"}
            return web.json_response(
                {"message": "The request body has 1 error(s)", "details": [detail]}, status=400
            )
        key = request.headers.get("X-Line-Retry-Key")
        if not self._first_use(key):
            return web.json_response(RETRY_KEY_ACCEPTED, status=409)
        self.multicasts.append((key, list(to), body["messages"]))
        await self.multicast_responses.passing(request)
        return web.json_response({})

    async def _loading(self, request: web.Request) -> web.StreamResponse:
        seconds = request[DATA].get("loadingSeconds", 20)
        if not request[DATA].get("chatId") or seconds % 5 or not 5 <= seconds <= 60:
            return web.json_response({"message": "The request body has 1 error(s)"}, status=400)
        return web.json_response({}, status=202)

    async def _profile(self, request: web.Request) -> web.StreamResponse:
        user_id = request.match_info["user_id"]
        profile = self.profiles.get(user_id)
        if profile is None:
            return web.json_response({"message": "Not found"}, status=404)
        return web.json_response({"userId": user_id, **profile})

    async def _set_webhook(self, request: web.Request) -> web.StreamResponse:
        endpoint = str(request[DATA].get("endpoint", ""))
        if not endpoint.startswith("https://"):
            return web.json_response({"message": "Invalid webhook endpoint URL"}, status=400)
        return web.json_response({})


def _unauthorized(request: web.Request, token: str) -> web.StreamResponse | None:
    if request.headers.get("Authorization") == f"Bearer {token}":
        return None
    return web.json_response(
        {"message": "Authentication failed. Confirm that the access token is valid."}, status=401
    )


def _invalid_messages(body: Any) -> dict[str, Any] | None:
    """LINE's validation of what we send, for the limits our renderer must respect."""
    problems: list[str] = []
    messages = body.get("messages") if isinstance(body, dict) else None
    if not isinstance(messages, list) or not 1 <= len(messages) <= 5:
        problems.append("messages: size must be between 1 and 5")
        messages = []
    for index, message in enumerate(messages):
        if message.get("type") == "text" and not 1 <= len(message.get("text", "")) <= 5000:
            problems.append(f"messages[{index}].text: length must be between 1 and 5000")
        if message.get("type") == "flex" and not 1 <= len(message.get("altText", "")) <= 1500:
            problems.append(f"messages[{index}].altText: length must be between 1 and 1500")
        items = (message.get("quickReply") or {}).get("items", [])
        if len(items) > 13:
            problems.append(f"messages[{index}].quickReply.items: size must be at most 13")
        for item in items:
            label = item.get("action", {}).get("label", "")
            if not 1 <= len(label.encode("utf-16-le")) // 2 <= 20:
                problems.append(f"messages[{index}].quickReply.items[].action.label: length 1 to 20")
    if problems:
        return {"message": "The request body has errors", "details": [{"message": p} for p in problems]}
    return None
