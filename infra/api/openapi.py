"""The OpenAPI document, completed where FastAPI cannot know: every status an operation can answer, and
links from each create to the operations on what it created.

- Every operation behind a token can answer 401, 413 (body over the limit), 422 and 503 (database
  unreachable, read model behind); every command 403 too (a read token); all as problem documents.
- OCPI operations answer their errors in the OCPI envelope (``application/json``).
- A create that takes a client-chosen ``id`` answers 200 when it repeats an earlier one (idempotent).
- Links (OpenAPI 3 ``links``) name, for each created kind, the operations whose path takes its id, so a
  client (or a stateful fuzzer) can follow ``POST /events`` to ``GET /events/{event_id}``, and so on.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from infra.api.auth import OPEN_PATHS, READ_METHODS
from infra.api.problems import responses

#: Statuses every operation behind a token can answer, and those of commands only.
EVERY_OPERATION = (401, 413, 422, 503)
COMMANDS_ONLY = (403,)
#: OCPI answers its errors in its own envelope (``application/json``, spec §8.1; D21), not as problem
#: documents; an outage or a body over the door's limit may still be a problem document.
OCPI_PREFIX = "/ocpi/"
OCPI_ERRORS = {
    400: "The body is not JSON (2001).",
    401: "A missing or unknown OCPI token (2000).",
    404: "An unknown session (2001) or version (3002).",
    413: "The body is over the OCPI limit (2001).",
    503: "The database is unreachable, or a command lost too many races (3000); retry.",
}
OCPI_ENVELOPE = {
    "type": "object",
    "required": ["status_code", "timestamp"],
    "properties": {
        "data": {},
        "status_code": {"type": "integer"},
        "status_message": {"type": "string"},
        "timestamp": {"type": "string"},
    },
}
#: The path parameter each create's ``id`` fills: ``(method, path) -> parameter``.
CREATES = {
    ("post", "/events"): "event_id",
    ("post", "/events/{event_id}/sessions"): "session_id",
    ("post", "/registrations"): "registration_id",
    ("post", "/events/{event_id}/mail-schedulers"): "scheduler_id",
    ("post", "/event-types"): "event_type_id",
    ("post", "/timeslots"): "slot_id",
}
#: Creates whose body takes a client-chosen ``id``: a repeat answers 200 with the first result.
IDEMPOTENT_CREATES = {key for key in CREATES if key != ("post", "/timeslots")}


def complete(document: dict[str, Any]) -> dict[str, Any]:
    problem_responses = {str(k): v for k, v in responses(*EVERY_OPERATION, *COMMANDS_ONLY).items()}
    operations = [
        (method, path, operation)
        for path, item in document.get("paths", {}).items()
        for method, operation in item.items()
        if path not in OPEN_PATHS
    ]
    for method, path, operation in operations:
        answers = operation.setdefault("responses", {})
        if path.startswith(OCPI_PREFIX):
            for status, description in OCPI_ERRORS.items():
                content = {"application/json": {"schema": OCPI_ENVELOPE}}
                if status in (413, 503):
                    content.update(problem_responses[str(status)].get("content", {}))
                answers[str(status)] = {"description": description, "content": content}
            continue
        statuses = EVERY_OPERATION + (() if method.upper() in READ_METHODS else COMMANDS_ONLY)
        for status in statuses:
            answers.setdefault(str(status), problem_responses[str(status)])
        if (method, path) in IDEMPOTENT_CREATES and "201" in answers:
            answers.setdefault("200", {**answers["201"], "description": "A repeat of an earlier create: its result."})
    for (create_method, create_path), parameter in CREATES.items():
        created = document["paths"][create_path][create_method]["responses"]["201"]
        created["links"] = {
            operation["operationId"]: {
                "operationId": operation["operationId"],
                "parameters": {parameter: "$response.body#/id"},
            }
            for method, path, operation in operations
            if "{" + parameter + "}" in path
        }
    return document


def install(app: FastAPI) -> None:
    """Makes ``app.openapi()`` (and ``/openapi.json``) serve the completed document."""
    cached: dict[str, Any] = {}

    def openapi() -> dict[str, Any]:
        if not cached:
            cached.update(complete(get_openapi(
                title=app.title, version=app.version, summary=app.summary, routes=app.routes,
            )))  # fmt: skip
        return cached

    app.openapi = openapi  # FastAPI's documented way to customise the document
