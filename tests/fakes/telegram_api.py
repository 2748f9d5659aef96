"""A fake Telegram Bot API (`/bot<token>/<method>`, `/file/bot<token>/<path>`).

It answers `{"ok": true, "result": ...}` like Telegram, or `{"ok": false, "error_code", "description",
"parameters"}` (e.g. a 429 with `retry_after`), checks the token, serves files and long polling, and
records every call with its parameters (JSON-encoded ones such as `reply_markup` decoded). When
`send_limit` is set, `sendMessage` above that many per second gets Telegram's 429 with `retry_after`;
a chat in `blocked` gets 403 "bot was blocked by the user".
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import math
import time
from collections import Counter
from typing import Any

from aiohttp import web

from tests.fakes.server import DATA, FakeServer, Gate, RateLimit, client_gone

BOT_ID = 7000000001
BOT_USERNAME = "phuket_safety_test_bot"


def too_many_requests(retry_after: int) -> dict[str, Any]:
    return {
        "ok": False,
        "error_code": 429,
        "description": f"Too Many Requests: retry after {retry_after}",
        "parameters": {"retry_after": retry_after},
    }


class FakeTelegramApi(FakeServer):
    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token
        self.files: dict[str, bytes] = {}
        self.webhook: dict[str, Any] = {}
        self._updates: list[dict[str, Any]] = []
        self._new_update = asyncio.Event()
        self._message_ids = itertools.count(1)
        # Chat ids of the accepted messages, in order.
        self.delivered: list[int] = []
        self.blocked: set[int] = set()
        self.send_limit: RateLimit | None = None
        # Closed: sendMessage requests wait before Telegram has seen them (dropped if the client dies).
        self.send_gate = Gate()
        self._methods = {
            "getMe": self._get_me,
            "sendMessage": self._send_message,
            "answerCallbackQuery": self._answer_callback_query,
            "getFile": self._get_file,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getUpdates": self._get_updates,
        }
        self.app.router.add_route("*", "/bot{token}/{method}", self._method, name="method")
        self.app.router.add_get("/file/bot{token}/{path:.+}", self._file, name="file")

    # What the tests use ------------------------------------------------------------------

    def endpoint_of(self, request: web.Request) -> str:
        # Recorded by Bot API method name: "sendMessage", "getFile", ...
        return str(request.match_info.get("method") or request.match_info.route.name or request.path)

    def decode(self, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        return {key: _decoded(value) for key, value in data.items()}

    def add_file(self, file_id: str, content: bytes) -> None:
        self.files[file_id] = content

    def queue_update(self, update: dict[str, Any]) -> None:
        """An update for long polling (`getUpdates`)."""
        self._updates.append(update)
        self._new_update.set()

    def delivered_counts(self) -> Counter[int]:
        """How many accepted messages reached each chat."""
        return Counter(self.delivered)

    def throttled(self) -> int:
        """sendMessage calls answered 429."""
        return sum(1 for request in self.calls("sendMessage") if request.status == 429)

    def sent(self, chat_id: int) -> list[dict[str, Any]]:
        """The messages that reached `chat_id` (accepted sendMessage calls), in order."""
        return [
            request.data
            for request in self.calls("sendMessage")
            if request.status == 200 and int(request.data["chat_id"]) == chat_id
        ]

    # Serving ---------------------------------------------------------------------------

    async def _method(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        params = request[DATA]
        method = request.match_info["method"]
        handler = self._methods.get(method)
        if handler is None:
            return _error(404, "Not Found: method not found")
        if method == "sendMessage":
            await self.send_gate.passing(request)
            if client_gone(request):
                return _error(499, "client closed the connection")
            if self.send_limit is not None and not self.send_limit.allow():
                retry_after = max(1, math.ceil(self.send_limit.retry_after_s()))
                return web.json_response(too_many_requests(retry_after), status=429)
        result = await handler(params)
        if isinstance(result, web.StreamResponse):
            return result
        return web.json_response({"ok": True, "result": result})

    async def _file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        file_id = request.match_info["path"].removeprefix("photos/")
        if file_id not in self.files:
            return _error(404, "Not Found")
        return web.Response(body=self.files[file_id], content_type="image/jpeg")

    async def _get_me(self, params: dict[str, Any]) -> Any:
        return {
            "id": BOT_ID,
            "is_bot": True,
            "first_name": "Phuket Safety",
            "username": BOT_USERNAME,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    async def _send_message(self, params: dict[str, Any]) -> Any:
        if not str(params.get("text", "")).strip():
            return _error(400, "Bad Request: message text is empty")
        if len(str(params["text"])) > 4096:
            return _error(400, "Bad Request: message is too long")
        for row in (params.get("reply_markup") or {}).get("inline_keyboard", []):
            for button in row:
                if len(button.get("callback_data", "").encode()) > 64:
                    return _error(400, "Bad Request: BUTTON_DATA_INVALID")
        if int(params["chat_id"]) in self.blocked:
            return _error(403, "Forbidden: bot was blocked by the user")
        self.delivered.append(int(params["chat_id"]))
        return {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": int(params["chat_id"]), "type": "private"},
            "from": {"id": BOT_ID, "is_bot": True, "first_name": "Phuket Safety"},
            "text": params["text"],
        }

    async def _answer_callback_query(self, params: dict[str, Any]) -> Any:
        return True

    async def _get_file(self, params: dict[str, Any]) -> Any:
        file_id = str(params.get("file_id"))
        if file_id not in self.files:
            return _error(400, "Bad Request: invalid file_id")
        return {
            "file_id": file_id,
            "file_unique_id": f"u-{file_id}",
            "file_size": len(self.files[file_id]),
            "file_path": f"photos/{file_id}",
        }

    async def _set_webhook(self, params: dict[str, Any]) -> Any:
        if not str(params.get("url", "")).startswith("https://"):
            return _error(400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
        self.webhook = params
        return True

    async def _delete_webhook(self, params: dict[str, Any]) -> Any:
        self.webhook = {}
        return True

    async def _get_updates(self, params: dict[str, Any]) -> Any:
        offset = int(params.get("offset") or 0)
        self._updates = [update for update in self._updates if update["update_id"] >= offset]
        if not self._updates:
            # Long polling, shortened: the tests need no ten-second waits.
            self._new_update.clear()
            wait = min(float(params.get("timeout") or 0), 0.5)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._new_update.wait(), wait)
        return self._updates[:100]


def _decoded(value: Any) -> Any:
    """PTB sends objects (reply_markup, allowed_updates, ...) as JSON text in form fields."""
    if isinstance(value, str) and value[:1] in {"{", "["}:
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _error(code: int, description: str) -> web.Response:
    return web.json_response({"ok": False, "error_code": code, "description": description}, status=code)
