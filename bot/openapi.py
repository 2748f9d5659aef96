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
_DESCRIPTIONS = {
    409: "The state of the resource does not allow this (the detail says why).",
    422: "The input is well-formed but cannot be accepted; every problem is listed.",
}


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ERROR_REF}}}


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """What a route declares for the errors its own code answers (`responses=` of a route)."""
    return {code: _error(_DESCRIPTIONS[code]) for code in codes}


def _fastapi_validation_error(response: dict[str, Any]) -> bool:
    """FastAPI's own 422, which the app never sends (it answers malformed input with 400)."""
    schema = response.get("content", {}).get("application/json", {}).get("schema", {})
    return str(schema.get("$ref", "")).endswith("/HTTPValidationError")


def declare_errors(document: dict[str, Any]) -> dict[str, Any]:
    """Add the error answers every operation can give to an OpenAPI document (in place)."""
    document.setdefault("components", {}).setdefault("schemas", {})["ErrorResponse"] = ERROR_SCHEMA
    for path, operations in document.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in _METHODS:
                continue
            responses: dict[str, Any] = operation.setdefault("responses", {})
            if "422" in responses and _fastapi_validation_error(responses["422"]):
                del responses["422"]
                responses.setdefault("400", _error("Malformed request: what is wrong, per field."))
            if operation.get("parameters"):
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


# OpenAPI links: what one answer gives the next request (clients, and the fuzzer's stateful phase,
# follow them from a new incident, alert, place or key to the operations on it).
# (method, path, status) of the answer -> [(method, path of the next operation, parameter, where)]
LINKS: dict[tuple[str, str, str], list[tuple[str, str, str, str]]] = {
    ("post", "/api/v1/chat", "200"): [
        (method, path, "reference", "$response.body#/incident_reference")
        for method, path in (
            ("get", "/api/v1/incidents/{reference}"),
            ("post", "/api/v1/incidents/{reference}/status"),
            ("post", "/api/v1/incidents/{reference}/notes"),
        )
    ],
    ("post", "/api/v1/alerts", "201"): [
        (method, path, "alert_id", "$response.body#/alert/id")
        for method, path in (
            ("get", "/api/v1/alerts/{alert_id}"),
            ("put", "/api/v1/alerts/{alert_id}"),
            ("post", "/api/v1/alerts/{alert_id}/cancel"),
            ("get", "/api/v1/alerts/{alert_id}/cap"),
            ("get", "/api/v1/alerts/{alert_id}/deliveries"),
        )
    ],
    ("post", "/api/v1/places", "201"): [
        ("put", "/api/v1/places/{external_id}", "external_id", "$response.body#/id")
    ],
    ("post", "/api/v1/keys", "201"): [("delete", "/api/v1/keys/{key}", "key", "$response.body#/id")],
}


def add_links(document: dict[str, Any]) -> dict[str, Any]:
    """Add the :data:`LINKS` whose operations exist (in place)."""
    paths = document.get("paths", {})
    for (method, path, status), targets in LINKS.items():
        response = paths.get(path, {}).get(method, {}).get("responses", {}).get(status)
        if response is None:
            continue
        for target_method, target_path, parameter, value in targets:
            target = paths.get(target_path, {}).get(target_method)
            if target is None or "operationId" not in target:
                continue
            response.setdefault("links", {})[target["operationId"]] = {
                "operationId": target["operationId"],
                "parameters": {parameter: value},
            }
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
            app.openapi_schema = add_links(declare_errors(document))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
