"""The CPO sender (spec §7.1, §7.2): the session list and the charging preferences.

``GET /ocpi/cpo/{version}/sessions``: the sessions the caller may see (CH-18), ``date_from`` inclusive
and ``date_to`` exclusive on ``last_updated`` (R-14), ``offset``/``limit`` capped at the server's
``X-Limit``, ``X-Total-Count`` counting only what the caller may see, and a ``Link: <...>; rel="next"``
that repeats the filters (normalised) and is left out on the last page (D13, D14).  Pages are in the
order sessions were first stored, so repeating a URL gives the same objects.  The list is served from
the ``charging_sessions`` read model.

``PUT /ocpi/cpo/{version}/sessions/{session_id}/charging_preferences``: answers one
ChargingPreferencesResponse string as ``data`` (D15); an unknown session is 404 with 2001.  The URL
names the session by its id alone: the caller's own session of that id first (on the write side,
without lag), else one whose token it issued (CH-25).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from domain.charging.datetimes import format_datetime, parse_datetime
from domain.charging.errors import UnknownSessionError
from domain.charging.identity import Party
from domain.charging.rendering import render_session
from domain.charging.validation import validate_charging_preferences
from domain.shared.limits import INT8_MAX
from infra.api.charging.ocpi import (
    INVALID_PARAMETERS,
    OcpiError,
    blocking,
    check_version,
    container_of,
    envelope,
    json_body,
    party_of,
    route,
)
from infra.api.context import read
from projections.charging.sessions import Page, sender_page, visible_identity

router = APIRouter(tags=["ocpi"])


def _instant(request: Request, name: str) -> datetime | None:
    text = request.query_params.get(name)
    if text is None or text == "":
        return None
    try:
        return parse_datetime(text)
    except ValueError:
        raise OcpiError(200, INVALID_PARAMETERS, f"Invalid field {name}: must be an RFC 3339 date-time") from None


def _integer(request: Request, name: str, default: int, minimum: int) -> int:
    text = request.query_params.get(name)
    if text is None or text == "":
        return default
    # The page query binds it as a PostgreSQL bigint: a larger value is the caller's error, not ours.
    if not (text.isascii() and text.isdigit()) or not minimum <= int(text) <= INT8_MAX:
        raise OcpiError(
            200, INVALID_PARAMETERS, f"Invalid field {name}: must be an integer from {minimum} to {INT8_MAX}"
        )
    return int(text)


def next_link(request: Request, filters: dict[str, datetime | None], offset: int, limit: int) -> str:
    """``<URL of the next page>; rel="next"``: the same path, the filters normalised, the next offset."""
    query: dict[str, Any] = {name: format_datetime(value) for name, value in filters.items() if value is not None}
    query.update(offset=offset, limit=limit)
    url = request.url.replace(query=urlencode(query, quote_via=quote, safe=":"))
    return f'<{url}>; rel="next"'


@route(router, "/ocpi/cpo/{version}/sessions", ["GET"])
async def list_sessions(request: Request, version: str) -> JSONResponse:
    """One page of the sessions the caller may see (see the module docstring)."""
    caller = party_of(request)
    checked = check_version(version)
    server_limit = container_of(request).settings.ocpi_max_limit
    filters = {"date_from": _instant(request, "date_from"), "date_to": _instant(request, "date_to")}
    offset = _integer(request, "offset", 0, 0)
    limit = min(_integer(request, "limit", server_limit, 1), server_limit)
    viewer = (caller.country_code, caller.party_id)

    def query() -> Page:
        return read(container_of(request), lambda cur: sender_page(cur, viewer, offset=offset, limit=limit, **filters))

    page: Page = await blocking(query)
    headers = {"X-Total-Count": str(page.total), "X-Limit": str(server_limit)}
    if offset + limit < page.total:
        headers["Link"] = next_link(request, filters, offset + limit, limit)
    data = [render_session(stored, checked) for stored in page.sessions]
    return envelope(request, data=data, headers=headers)


def _identity_of(request: Request, caller: Party, session_id: str) -> tuple[str, str, str]:
    app = container_of(request).charging
    try:
        app.get_session(caller.country_code, caller.party_id, session_id)
        return caller.country_code, caller.party_id, session_id
    except UnknownSessionError:
        pass
    viewer = (caller.country_code, caller.party_id)
    found = read(container_of(request), lambda cur: visible_identity(cur, viewer, session_id))
    if found is None:
        raise UnknownSessionError()
    return found


@route(router, "/ocpi/cpo/{version}/sessions/{session_id}/charging_preferences", ["PUT"])
async def put_charging_preferences(request: Request, version: str, session_id: str) -> JSONResponse:
    """The driver's charging preferences for an ongoing session: ``data`` is the response string (D15)."""
    caller = party_of(request)
    checked = check_version(version)
    body = await json_body(request)
    app = container_of(request).charging

    def command() -> str:
        preferences = validate_charging_preferences(body, checked)
        identity = _identity_of(request, caller, session_id)
        return app.set_charging_preferences(*identity, preferences).response

    return envelope(request, data=await blocking(command))
