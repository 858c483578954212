"""What every OCPI endpoint shares: the envelope, the OCPI token, the message and routing headers.

- Every answer is the envelope ``{data, status_code, status_message, timestamp}`` (spec §8.1), errors
  included (D21); HTTP statuses as §8.3: 400 invalid JSON (D10), 401 missing or unknown token (D12),
  404 unknown session (2001, D21), 200 for everything that reached the OCPI layer (2001 for a schema
  error or a refused update, D11), 201 when a PUT created the session (D5).
- ``Authorization: Token <base64 of the token>``, the raw token accepted as a fallback (spec §8.4);
  each token of ``SESSIONSTREAM_OCPI_TOKENS`` belongs to one party (``Party``).  The bearer middleware
  leaves ``/ocpi/*`` to this module.  Authentication runs before the body is read.
- ``X-Request-ID`` and ``X-Correlation-ID`` are echoed (a fresh UUID when not sent); on the sessions
  module, the routing headers ``OCPI-from-*``/``OCPI-to-*`` are echoed swapped (D23).
- Bodies are read here, numbers as ``Decimal``; unknown fields are never refused (D24).
- Paths are served with and without a trailing slash, and with the double slash a client makes by
  appending ``/`` to an advertised URL that ends with one (D22): no redirects.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hmac
import json
import logging
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from domain.charging.datetimes import format_datetime
from domain.charging.documents import to_document
from domain.charging.errors import ChargingError
from domain.charging.identity import Party
from domain.charging.vocabulary import OcpiVersion
from domain.shared.errors import ConcurrencyError, DomainError, NotFoundError
from infra.container import Container
from infra.settings import parse_ocpi_tokens

log = logging.getLogger(__name__)

SUCCESS = 1000
GENERIC_CLIENT_ERROR = 2000
INVALID_PARAMETERS = 2001
GENERIC_SERVER_ERROR = 3000
UNSUPPORTED_VERSION = 3002
VERSIONS = tuple(v.value for v in OcpiVersion)
#: The largest body an OCPI request may carry (a session with thousands of periods fits).
MAX_BODY_BYTES = 8 * 1024 * 1024
ROUTING_HEADERS = (
    ("ocpi-from-country-code", "OCPI-to-country-code"),
    ("ocpi-from-party-id", "OCPI-to-party-id"),
    ("ocpi-to-country-code", "OCPI-from-country-code"),
    ("ocpi-to-party-id", "OCPI-from-party-id"),
)


class OcpiError(Exception):
    """An answer other than success: the HTTP status, the OCPI status code and its message."""

    def __init__(self, http_status: int, status_code: int, message: str, headers: Mapping[str, str] | None = None):
        super().__init__(message)
        self.http_status = http_status
        self.status_code = status_code
        self.message = message
        self.headers = dict(headers or {})


def error_of(error: DomainError) -> OcpiError:
    """A domain error as its OCPI answer: not found 404 + 2001; every other charging refusal 200 + its
    OCPI status (2001); concurrency exhausted 503 + 3000."""
    if isinstance(error, NotFoundError):
        return OcpiError(404, INVALID_PARAMETERS, error.message)
    if isinstance(error, ChargingError):
        return OcpiError(200, error.ocpi_status, error.message)
    if isinstance(error, ConcurrencyError):
        return OcpiError(503, GENERIC_SERVER_ERROR, error.message, {"Retry-After": "1"})
    return OcpiError(200, GENERIC_CLIENT_ERROR, error.message)


def container_of(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


# -- the envelope and its headers ------------------------------------------------------------------


def envelope(
    request: Request,
    *,
    data: Any = None,
    http_status: int = 200,
    status_code: int = SUCCESS,
    message: str = "Success",
    headers: Mapping[str, str] | None = None,
    with_data: bool = True,
) -> JSONResponse:
    """The OCPI response: ``data`` (numbers and date-times written as OCPI wants) and the echo headers."""
    body: dict[str, Any] = {}
    if with_data:
        body["data"] = to_document(data)
    body.update(
        status_code=status_code, status_message=message,
        timestamp=format_datetime(container_of(request).clock.now()),
    )  # fmt: skip
    return JSONResponse(body, status_code=http_status, headers={**echo_headers(request), **(headers or {})})


def echo_headers(request: Request) -> dict[str, str]:
    """X-Request-ID and X-Correlation-ID as sent (or fresh), and the routing headers swapped (D23)."""
    sent = request.headers
    echoed = {
        "X-Request-ID": sent.get("x-request-id") or str(uuid.uuid4()),
        "X-Correlation-ID": sent.get("x-correlation-id") or str(uuid.uuid4()),
    }
    if request.url.path.startswith(("/ocpi/emsp/", "/ocpi/cpo/")):
        for incoming, outgoing in ROUTING_HEADERS:
            if sent.get(incoming):
                echoed[outgoing] = sent[incoming]
    return echoed


def error_response(request: Request, error: OcpiError) -> JSONResponse:
    return envelope(
        request, http_status=error.http_status, status_code=error.status_code, message=error.message,
        headers=error.headers, with_data=False,
    )  # fmt: skip


# -- authentication, version, body -------------------------------------------------------------------


def token_of(authorization: str | None) -> tuple[str, str | None] | None:
    """``Token <credential>`` -> (the raw credential, its Base64 decoding when it is valid Base64)."""
    scheme, _, credential = (authorization or "").strip().partition(" ")
    credential = credential.strip()
    if scheme.lower() != "token" or not credential:
        return None
    try:
        decoded: str | None = base64.b64decode(credential, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        decoded = None
    return credential, decoded


@functools.lru_cache(maxsize=4)
def _parties(tokens: str) -> dict[str, tuple[str, str]]:
    return parse_ocpi_tokens(tokens)


def party_of(request: Request) -> Party:
    """The calling party (spec §8.4: Base64 first, the raw token as a fallback), else 401."""
    parties = _parties(container_of(request).settings.ocpi_tokens.get_secret_value())
    found = token_of(request.headers.get("authorization"))
    if found is not None:
        raw, decoded = found
        for candidate in (decoded, raw):
            if candidate is None:
                continue
            for token, (country_code, party_id) in parties.items():
                if hmac.compare_digest(token.encode(), candidate.encode()):
                    return Party(country_code, party_id)
    raise OcpiError(
        401, GENERIC_CLIENT_ERROR, "A valid 'Authorization: Token <base64 token>' header is required.",
        {"WWW-Authenticate": "Token"},
    )  # fmt: skip


def check_version(version: str) -> OcpiVersion:
    if version not in VERSIONS:
        raise OcpiError(404, UNSUPPORTED_VERSION, f"Unsupported version {version!r}: use {' or '.join(VERSIONS)}.")
    return OcpiVersion(version)


async def json_body(request: Request) -> Any:
    """The request's JSON (numbers as ``Decimal``); 400 when it is not JSON (D10)."""
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        raise OcpiError(413, INVALID_PARAMETERS, f"The request body exceeds {MAX_BODY_BYTES} bytes.")
    try:
        return json.loads(body, parse_float=Decimal)
    except (ValueError, UnicodeDecodeError) as error:
        raise OcpiError(400, INVALID_PARAMETERS, f"Invalid JSON: {error}") from None


async def blocking(call: Callable[[], Any]) -> Any:
    """A command or a query off the event loop; its domain errors as OCPI answers."""
    try:
        return await run_in_threadpool(call)
    except DomainError as error:
        raise error_of(error) from None


# -- routes --------------------------------------------------------------------------------------------

Handler = Callable[..., Awaitable[JSONResponse]]


def variants(path: str) -> list[str]:
    """D22: the path with and without a trailing slash, and with ``sessions//`` for clients that append
    ``/`` to the advertised ``.../sessions/``."""
    forms = [path, path + "/"]
    if "/sessions/" in path:
        doubled = path.replace("/sessions/", "/sessions//", 1)
        forms += [doubled, doubled + "/"]
    return forms


def route(router: APIRouter, path: str, methods: Iterable[str], **kwargs: Any) -> Callable[[Handler], Handler]:
    """Registers an OCPI handler on every form of ``path``; an ``OcpiError`` becomes its envelope."""

    def register(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def endpoint(request: Request, **params: Any) -> JSONResponse:
            try:
                return await handler(request, **params)
            except OcpiError as error:
                return error_response(request, error)

        for index, form in enumerate(variants(path)):
            router.add_api_route(
                form, endpoint, methods=list(methods), include_in_schema=index == 0, response_class=JSONResponse,
                **kwargs,
            )  # fmt: skip
        return handler

    return register
