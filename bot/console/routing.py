"""The console's routes: refusals become the right answer for a browser or an htmx request.

Not signed in: a page is redirected to the sign-in form, an htmx request gets 401 with
``HX-Redirect``. A write without its CSRF token, or one the role does not allow: 403. A change the
incident or alert cannot take now: 409. Bad input: 400. The text says why, in the console's
language when the session is known.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.responses import HTMLResponse, RedirectResponse

from actions.alerts.draft import AlertValidationError
from actions.alerts.service import AlertStateError
from actions.console import AccountError, NotAllowed
from actions.console.alerts import ApprovalError
from actions.console.incidents import BadInput, IncidentConflict
from actions.incidents import InvalidTransition
from bot.console.auth import CsrfRefused, NotSignedIn
from bot.console.templating import console_translator

logger = logging.getLogger(__name__)

LOGIN_PATH = "/console/login"


def _is_htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"


def refusal(request: Request, status_code: int, message: str) -> Response:
    """An error answer: htmx shows the text in the page's message area (see console.js)."""
    body = f'<p class="refusal" role="alert">{_escape(message)}</p>'
    return HTMLResponse(body, status_code=status_code)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _language(request: Request) -> str:
    return request.cookies.get("console_lang", "th") if request.cookies.get("console_lang") == "en" else "th"


def _sign_in_again(request: Request) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    location = f"{LOGIN_PATH}?next={quote(target, safe='')}"
    if _is_htmx(request) or request.url.path.endswith("/events"):
        text = console_translator()(_language(request), "login.needed")
        response = refusal(request, 401, text)
        response.headers["HX-Redirect"] = location
        return response
    return RedirectResponse(location, status_code=303)


class ConsoleRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            translate = console_translator()
            language = _language(request)
            try:
                return await handler(request)
            except NotSignedIn:
                return _sign_in_again(request)
            except CsrfRefused:
                return refusal(request, 403, translate(language, "error.csrf"))
            except NotAllowed as exc:
                return refusal(request, 403, f"{translate(language, 'error.not_allowed')} ({exc})")
            except (IncidentConflict, InvalidTransition, AlertStateError, ApprovalError) as exc:
                return refusal(request, 409, str(exc))
            except AlertValidationError as exc:
                problems = "; ".join(
                    f"{'.'.join(map(str, e.loc))}: {e.msg}" if e.loc else e.msg for e in exc.errors
                )
                return refusal(request, 400, problems)
            except (AccountError, BadInput, RequestValidationError) as exc:
                return refusal(request, 400, str(exc))

        return handle


def console_router() -> APIRouter:
    return APIRouter(prefix="/console", include_in_schema=False, route_class=ConsoleRoute)
