"""The agency console at /console: server-rendered pages (Jinja2 + htmx), live over SSE.

The rules (accounts, who may do what, claims, duplicates, the phrasebook, approvals) live in
`actions.console`; this package is the web side only.
"""

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from bot.console import pages_admin, pages_alerts, pages_auth, pages_incident, pages_queue
from bot.console.live import LiveHub, open_live_hub
from bot.console.templating import STATIC_DIR

__all__ = ["LiveHub", "install_console", "open_live_hub"]


def install_console(app: FastAPI) -> None:
    """Add the console's pages and its static files (htmx, Leaflet, ours) to the app."""
    for module in (pages_auth, pages_queue, pages_incident, pages_alerts, pages_admin):
        app.include_router(module.router)
    app.mount("/console/static", StaticFiles(directory=STATIC_DIR), name="console-static")
