"""The ASGI application: one FastAPI app hosting the web chat, webhooks and APIs."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from actions.db.availability import database_unavailable
from bot.api import admin as api_admin
from bot.api import alerts as api_alerts
from bot.api import incidents as api_incidents
from bot.api import places as api_places
from bot.broadcast import api as broadcast_api
from bot.broadcast import delivery_worker
from bot.channels import line, telegram, web
from bot.channels.messengers import open_messengers
from bot.console import install_console, open_live_hub
from bot.feeds import feed_poller
from bot.openapi import install as install_openapi
from bot.runtime import open_runtime
from bot.security.addresses import ClientAddresses, parse_networks
from bot.security.body_limit import BodySizeLimit
from bot.security.identity import WebIdentities
from bot.settings import Settings, get_settings

logger = logging.getLogger(__name__)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    # A bad TRUSTED_PROXIES entry stops the start here, not at the first request.
    client_addresses = ClientAddresses(parse_networks(settings.trusted_proxies))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with (
            open_runtime(settings) as runtime,
            open_messengers(settings, runtime) as messengers,
            delivery_worker(settings, runtime.sessions) as worker,
            feed_poller(settings, runtime.sessions) as feeds,
            open_live_hub(runtime.sessions, settings.console_poll_interval_s) as console_live,
        ):
            app.state.console_live = console_live
            app.state.runtime = runtime
            app.state.messengers = messengers
            app.state.delivery_worker = worker
            app.state.feed_poller = feeds
            app.state.settings = settings
            app.state.engine = runtime.engine
            app.state.sessions = runtime.sessions
            app.state.nlu = runtime.nlu
            app.state.dialogue = runtime.dialogue
            app.state.web_identities = await WebIdentities.from_settings(settings, runtime.sessions)
            app.state.client_addresses = client_addresses
            logger.info("bot ready at http://%s:%d", settings.bot_host, settings.bot_port)
            yield

    app = FastAPI(
        title="Phuket Smart Safety chatbot",
        version="0.1.0",
        lifespan=lifespan,
        description="Tourist-safety chatbot: web chat, LINE/Telegram webhooks and the agency API.",
    )

    # Before routing and parsing: a body over its route's limit is refused before anything reads it.
    app.add_middleware(
        BodySizeLimit,
        default=settings.max_request_bytes,
        routes=[
            ("/api/v1/chat", settings.max_chat_request_bytes),
            ("/api/v1/places/import", settings.max_import_request_bytes),
        ],
    )
    install_openapi(app)

    async def database_down(request: Request, exc: Exception) -> JSONResponse:
        if not database_unavailable(exc):
            raise exc
        logger.error("%s %s: database unavailable (%s)", request.method, request.url.path, exc)
        return JSONResponse(
            status_code=503, content={"detail": "the database is unavailable; try again shortly"}
        )

    for error in (DBAPIError, PoolTimeout, OSError):
        app.add_exception_handler(error, database_down)

    @app.exception_handler(RequestValidationError)
    async def bad_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        # Malformed input is the client's fault: 400 with what is wrong, never a 500.
        errors = [
            {"loc": list(error.get("loc", ())), "msg": str(error.get("msg", ""))} for error in exc.errors()
        ]
        return JSONResponse(status_code=400, content={"detail": errors})

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    async def readyz(request: Request) -> JSONResponse:
        checks: dict[str, Any] = {}
        try:
            async with request.app.state.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
            checks["database"] = "ok"
        except Exception as exc:
            logger.warning("readiness: database down: %s", exc)
            checks["database"] = "down"
        checks["nlu"] = "ok" if await request.app.state.nlu.ready() else "down"
        ready = all(value == "ok" for value in checks.values())
        down = [name for name, value in checks.items() if value != "ok"]
        body = {
            "status": "ready" if ready else "not ready",
            "checks": checks,
            "down": down,
            # A channel that is off (no credentials) is listed nowhere and fails nothing.
            "channels": request.app.state.messengers.names(),
        }
        return JSONResponse(status_code=200 if ready else 503, content=body)

    app.include_router(web.router)
    app.include_router(line.router)
    app.include_router(telegram.router)
    app.include_router(api_incidents.router)
    app.include_router(api_places.router)
    app.include_router(api_admin.router)
    app.include_router(api_alerts.router)
    app.include_router(broadcast_api.router)
    install_console(app)
    return app
