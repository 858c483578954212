"""Every error as an RFC 9457 problem document (``application/problem+json``).

One place decides the status of each error family, so a router never builds an error body by hand:
not found -> 404, the actor may not do this -> 403, a business rule refused -> 409, malformed input -> 422
(``field`` names the culprit), read model behind, too much contention or the database unreachable -> 503
with ``Retry-After``.  An error's ``details`` (a mapping, e.g. ``from``/``to`` of an invalid transition) are
added to the body.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

import psycopg
from eventsourcing import persistence
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from domain.shared.errors import (
    ConcurrencyError,
    DomainError,
    ForbiddenError,
    InvalidInputError,
    NotFoundError,
    RuleViolationError,
)

log = logging.getLogger(__name__)

MEDIA_TYPE = "application/problem+json"
RETRY_AFTER_S = 1


class Problem(BaseModel):
    """The problem document, for the OpenAPI description (responses are built by ``problem``)."""

    type: str
    title: str
    status: int
    detail: str
    code: str
    field: str | None = None


class ProblemResponse(JSONResponse):
    media_type = MEDIA_TYPE


#: What the database drivers raise while PostgreSQL is unreachable, slow past a timeout, or the pool is
#: exhausted (``psycopg_pool.PoolTimeout`` is an ``OperationalError``); eventsourcing wraps psycopg's.
UNAVAILABLE = (
    psycopg.OperationalError,
    psycopg.InterfaceError,
    persistence.OperationalError,
    persistence.InterfaceError,
)
UNAVAILABLE_CODE = "database.unavailable"


class ReadModelBehindError(Exception):
    """A GET with ``min_version`` timed out before the read model caught up."""

    code = "read_model.behind"


def problem(
    status: int,
    detail: str,
    code: str,
    *,
    field: str | None = None,
    headers: Mapping[str, str] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> ProblemResponse:
    body: dict[str, Any] = {
        "type": f"urn:sessionstream:problem:{code}",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "code": code,
    }
    if field is not None:
        body["field"] = field
    body.update(extra or {})
    return ProblemResponse(body, status_code=status, headers=dict(headers or {}))


def naming_field(field: str, message: str) -> str:
    """The message, then the field it is about, unless the message names it already.  The message comes
    first because clients match the spec's messages by prefix."""
    return message if field in message else f"{message} (field: {field})"


def domain_problem(error: DomainError) -> ProblemResponse:
    details = getattr(error, "details", None)
    if isinstance(error, NotFoundError):
        return problem(404, error.message, error.code)
    if isinstance(error, ForbiddenError):
        # ``error`` repeats the message under the name the spec's sources answer it with.
        return problem(403, error.message, error.code, extra={"error": error.message, **(details or {})})
    if isinstance(error, InvalidInputError):
        return problem(422, naming_field(error.field, error.message), error.code, field=error.field)
    if isinstance(error, ConcurrencyError):
        return problem(503, error.message, error.code, headers={"Retry-After": str(RETRY_AFTER_S)})
    if not isinstance(error, RuleViolationError):
        log.warning("unclassified domain error", extra={"error_class": type(error).__name__})
    return problem(409, error.message, error.code, extra=details)


def field_of(location: Sequence[int | str], error_type: str) -> str:
    """``("body", "date_begin")`` -> ``date_begin``; the whole body (or bad JSON) -> ``body``."""
    if error_type == "json_invalid":
        return "body"
    inner = location[1:] if location and location[0] in ("body", "query", "path", "header") else location
    return ".".join(str(part) for part in inner) or str(location[0] if location else "body")


def validation_problem(error: RequestValidationError) -> ProblemResponse:
    errors = [
        {"field": field_of(e.get("loc", ()), e.get("type", "")), "message": str(e.get("msg", "invalid"))}
        for e in error.errors()
    ] or [{"field": "body", "message": "Invalid request"}]
    first = errors[0]
    return problem(
        422, f"{first['field']}: {first['message']}", "validation.invalid", field=first["field"],
        extra={"errors": errors},
    )  # fmt: skip


def allowed_methods(request: Request) -> str:
    """Every method the API serves at this path, from its OpenAPI document (Starlette names only the
    first matching route's)."""
    methods: set[str] = set()
    paths = request.app.openapi().get("paths", {})
    if request.url.path in paths:  # a literal path wins over a template it also matches, as in routing
        paths = {request.url.path: paths[request.url.path]}
    for template, operations in paths.items():
        pattern = "".join("[^/]+" if part.startswith("{") else re.escape(part) for part in _TEMPLATE.split(template))
        if re.fullmatch(pattern, request.url.path):
            methods |= {method.upper() for method in operations}
    if "GET" in methods:
        methods.add("HEAD")
    return ", ".join(sorted(methods))


_TEMPLATE = re.compile(r"(\{[^/}]+\})")


def http_problem(error: StarletteHTTPException, request: Request) -> ProblemResponse:
    """Starlette's own errors: unknown route (404), wrong method (405), and the like."""
    headers = dict(error.headers or {})
    if error.status_code == 400:
        # FastAPI's answer to a body that is not even text (not UTF-8): malformed input like any other.
        detail = "body: The request body is not valid JSON text (UTF-8)."
        return problem(422, detail, "validation.invalid", field="body",
                       extra={"errors": [{"field": "body", "message": detail}]})  # fmt: skip
    if error.status_code == 404:
        detail, code = f"No resource at {request.method} {request.url.path}.", "http.not_found"
    elif error.status_code == 405:
        detail, code = f"{request.method} is not allowed on {request.url.path}.", "http.method_not_allowed"
        headers["Allow"] = allowed_methods(request)
    elif error.status_code == 413:
        detail, code = str(error.detail), "request.too_large"
    else:
        detail, code = str(error.detail), f"http.{error.status_code}"
    return problem(error.status_code, detail, code, headers=headers)


def install(app: FastAPI) -> None:
    """Routes every error the API can raise to its problem document."""

    async def on_domain(_: Request, exc: Exception) -> ProblemResponse:
        assert isinstance(exc, DomainError)
        return domain_problem(exc)

    async def on_validation(_: Request, exc: Exception) -> ProblemResponse:
        assert isinstance(exc, RequestValidationError)
        return validation_problem(exc)

    async def on_http(request: Request, exc: Exception) -> ProblemResponse:
        assert isinstance(exc, StarletteHTTPException)
        return http_problem(exc, request)

    async def on_behind(_: Request, exc: Exception) -> ProblemResponse:
        return problem(503, str(exc), ReadModelBehindError.code, headers={"Retry-After": str(RETRY_AFTER_S)})

    async def on_unavailable(request: Request, exc: Exception) -> ProblemResponse:
        # Once per failed request, without the stack: the cause is outside this process.
        log.warning("database unavailable", extra={"path": request.url.path, "error": type(exc).__name__})
        return problem(
            503, "The database is unavailable; retry shortly.", UNAVAILABLE_CODE,
            headers={"Retry-After": str(RETRY_AFTER_S)},
        )  # fmt: skip

    app.add_exception_handler(DomainError, on_domain)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(ReadModelBehindError, on_behind)
    for unavailable in UNAVAILABLE:
        app.add_exception_handler(unavailable, on_unavailable)
    # Anything else: ``infra.api.middleware.Unexpected`` (a 500 that keeps the connection open).


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the problem responses a route can give."""
    schema = Problem.model_json_schema()
    return {
        status: {"description": HTTPStatus(status).phrase, "content": {MEDIA_TYPE: {"schema": schema}}}
        for status in statuses
    }
