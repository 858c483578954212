"""The eMSP receiver (spec §7.3):
``GET | PUT | PATCH /ocpi/emsp/{version}/sessions/{country_code}/{party_id}/{session_id}``.

The caller pushes under its own country code and party id only (R-2; any other is 404 ``Unknown
session``, which hides other parties' sessions).  GET is served from the aggregate, so it reflects
every PUT and PATCH already answered.  PUT answers 201 when it created the session, else 200; PATCH
200; both with OCPI 1000 and without ``data`` (D4, the errata's advice), a stale update included
(R-13).  A schema error or a refused update is HTTP 200 with 2001 (D11); an unknown session on GET or
PATCH is HTTP 404 with 2001 (D21).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from domain.charging.identity import check_party_may_push
from domain.charging.session import UpdateResult
from domain.charging.validation import validate_session, validate_session_patch
from domain.charging.vocabulary import OcpiVersion
from domain.shared.errors import DomainError
from infra.api.charging.ocpi import (
    blocking,
    check_version,
    container_of,
    envelope,
    error_of,
    json_body,
    party_of,
    route,
)

router = APIRouter(tags=["ocpi"])
PATH = "/ocpi/emsp/{version}/sessions/{country_code}/{party_id}/{session_id}"
MESSAGES = {
    UpdateResult.APPLIED: "Session updated",
    UpdateResult.UNCHANGED: "Session unchanged",
    UpdateResult.IGNORED_AS_STALE: "Stale update ignored: the stored session is newer",
}


async def _checked(request: Request, version: str, country_code: str, party_id: str) -> OcpiVersion:
    """Authentication, version, then the caller's right to this identity (before the body is read)."""
    caller = party_of(request)
    checked = check_version(version)
    try:
        check_party_may_push(caller, country_code, party_id)
    except DomainError as error:
        raise error_of(error) from None
    return checked


@route(router, PATH, ["GET"])
async def get_session(
    request: Request, version: str, country_code: str, party_id: str, session_id: str
) -> JSONResponse:
    """The session as we hold it now, in the version of the path (D3: one object)."""
    checked = await _checked(request, version, country_code, party_id)
    app = container_of(request).charging
    view = await blocking(lambda: app.get_session(country_code, party_id, session_id))
    return envelope(request, data=view.render(checked))


@route(router, PATH, ["PUT"])
async def put_session(
    request: Request, version: str, country_code: str, party_id: str, session_id: str
) -> JSONResponse:
    """Creates or replaces the whole session (R-3)."""
    checked = await _checked(request, version, country_code, party_id)
    body = await json_body(request)
    app = container_of(request).charging

    def command():  # type: ignore[no-untyped-def]
        return app.put_session(country_code, party_id, session_id, validate_session(body, checked))

    outcome = await blocking(command)
    if outcome.created:
        return envelope(request, http_status=201, message="Session created", with_data=False)
    return envelope(request, message=MESSAGES[outcome.result], with_data=False)


@route(router, PATH, ["PATCH"])
async def patch_session(
    request: Request, version: str, country_code: str, party_id: str, session_id: str
) -> JSONResponse:
    """Merges the sent fields and appends the sent periods (R-4..R-6)."""
    checked = await _checked(request, version, country_code, party_id)
    body = await json_body(request)
    app = container_of(request).charging

    def command():  # type: ignore[no-untyped-def]
        return app.patch_session(country_code, party_id, session_id, validate_session_patch(body, checked))

    outcome = await blocking(command)
    return envelope(request, message=MESSAGES[outcome.result], with_data=False)
