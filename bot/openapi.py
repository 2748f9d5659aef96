"""The OpenAPI document says every answer the app can give, errors included.

FastAPI declares a 422 it never sends here (malformed input gets 400, see `bot.app`) and none of
the errors that come from outside a route's own code: a refused key (401/403), an unknown path
parameter (404), a body over its size limit (413), the database being down (503). They are
declared here, for every route, from what each route has (a body, a key, a path parameter), so
that clients and the schema fuzzer (tests/fuzz) can hold the app to its document.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

_ERROR_REF = {"$ref": "#/components/schemas/ErrorResponse"}
ERROR_SCHEMA: dict[str, Any] = {
    "title": "ErrorResponse",
    "type": "object",
    "required": ["detail"],
    "properties": {
        "detail": {
            "title": "Detail",
            "anyOf": [
                {"type": "string"},
                {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {"loc": {"type": "array"}, "msg": {"type": "string"}},
                    },
                },
            ],
        }
    },
}
_METHODS = {"get", "put", "post", "delete", "patch"}


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ERROR_REF}}}


def declare_errors(document: dict[str, Any]) -> dict[str, Any]:
    """Add the error answers every operation can give to an OpenAPI document (in place)."""
    document.setdefault("components", {}).setdefault("schemas", {})["ErrorResponse"] = ERROR_SCHEMA
    for path, operations in document.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in _METHODS:
                continue
            responses: dict[str, Any] = operation.setdefault("responses", {})
            if responses.pop("422", None) is not None or operation.get("parameters"):
                responses.setdefault("400", _error("Malformed request: what is wrong, per field."))
            if "requestBody" in operation:
                responses.setdefault("400", _error("Malformed request: what is wrong, per field."))
                responses.setdefault("413", _error("The request body is larger than this route accepts."))
            if operation.get("security"):
                responses.setdefault("401", _error("No API key, or an unknown or revoked one."))
                responses.setdefault("403", _error("The key's role is too low for this."))
            if "{" in path:
                responses.setdefault("404", _error("Nothing of that id or reference."))
            responses.setdefault("503", _error("The database is unavailable; try again shortly."))
    return document


def install(app: FastAPI) -> None:
    """Serve the completed document at /openapi.json (built once, on first request)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            app.openapi_schema = declare_errors(document)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
