"""Every other ``/ocpi/*`` request: 405 for a method the path does not take (POST, DELETE on a session,
spec §7), else 404, both in the OCPI envelope.  Mounted after the OCPI routers."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.routing import Match

from infra.api.charging import receiver, sender, versions
from infra.api.charging.ocpi import GENERIC_CLIENT_ERROR, OcpiError, error_response

router = APIRouter(include_in_schema=False)
OCPI_ROUTERS = (versions.router, receiver.router, sender.router)


@router.api_route("/ocpi/{rest:path}", methods=["GET", "HEAD", "PUT", "PATCH", "POST", "DELETE", "OPTIONS"])
async def unknown(request: Request, rest: str) -> JSONResponse:
    allowed = sorted({
        method for r in OCPI_ROUTERS for route in r.routes
        if route.matches(request.scope)[0] is not Match.NONE for method in getattr(route, "methods", ())
    })  # fmt: skip
    if allowed:
        error = OcpiError(
            405, GENERIC_CLIENT_ERROR, f"{request.method} is not allowed here.", {"Allow": ", ".join(allowed)}
        )
    else:
        error = OcpiError(404, GENERIC_CLIENT_ERROR, f"No OCPI endpoint at {request.url.path}.")
    return error_response(request, error)
