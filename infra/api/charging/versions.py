"""Version discovery (spec §7): ``GET /ocpi/versions`` and ``GET /ocpi/{version}/details``, listing the
``sessions`` module's SENDER (``/ocpi/cpo/{version}/sessions/``) and RECEIVER
(``/ocpi/emsp/{version}/sessions/``) endpoints.

The endpoint URLs are advertised with a trailing slash (CH-27): the most used Python library builds its
push URL as ``{url}{country_code}/{party_id}/{id}``; clients that append ``/{country_code}`` instead
reach the same routes (``ocpi.variants``).  Both endpoints need a valid OCPI token.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from infra.api.charging.ocpi import VERSIONS, check_version, envelope, party_of, route

router = APIRouter(tags=["ocpi"])


def base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


@route(router, "/ocpi/versions", ["GET"])
async def versions(request: Request) -> JSONResponse:
    """The OCPI versions this platform speaks, with their details URLs."""
    party_of(request)
    base = base_url(request)
    return envelope(request, data=[{"version": v, "url": f"{base}/ocpi/{v}/details"} for v in VERSIONS])


@route(router, "/ocpi/{version}/details", ["GET"])
async def details(request: Request, version: str) -> JSONResponse:
    """The modules of one version: ``sessions`` as SENDER (the CPO side) and RECEIVER (the eMSP side)."""
    party_of(request)
    check_version(version)
    base = base_url(request)
    endpoints = [
        {"identifier": "sessions", "role": "SENDER", "url": f"{base}/ocpi/cpo/{version}/sessions/"},
        {"identifier": "sessions", "role": "RECEIVER", "url": f"{base}/ocpi/emsp/{version}/sessions/"},
    ]
    return envelope(request, data={"version": version, "endpoints": endpoints})
