"""``create_app``: the HTTP API over one container.

Nothing is built at import time: the container (application, pool, clock, settings) is handed in, so
tests can give a fake one and ``sessionstream run`` gives the real one.  Tokens are read here, once, so a
malformed ``SESSIONSTREAM_API_TOKENS`` stops the service at start instead of failing every request.
"""

from __future__ import annotations

from fastapi import FastAPI

from infra.api import (
    audit,
    charging,
    classroom,
    eventsessions,
    health,
    music,
    notifications,
    openapi,
    problems,
    schemas,
)
from infra.api.auth import BearerAuth
from infra.api.charging.ocpi import MAX_BODY_BYTES as OCPI_MAX_BODY_BYTES
from infra.api.health import Readiness, RequestMetrics, no_checks
from infra.api.middleware import BodyLimit, Unexpected
from infra.container import Container


def create_app(container: Container, *, readiness: Readiness | None = None) -> FastAPI:
    """The API.  ``readiness`` reports the health of what the API cannot see (Kafka, consumers)."""
    app = FastAPI(
        title="sessionstream",
        summary="Event sessions: commands on the event store, queries on the read models.",
        version="1",
    )
    app.state.container = container
    health.install(app, readiness or no_checks)
    problems.install(app)
    for router in (
        health.router,
        schemas.router,
        notifications.router,
        audit.router,
        *eventsessions.ROUTERS,
        *charging.ROUTERS,
        *classroom.ROUTERS,
        *music.ROUTERS,
    ):
        app.include_router(router)
    openapi.install(app)
    # Added last = outermost: metrics see every answer, the 401s and 403s included; a caller without a
    # token is refused before its body is looked at.
    app.add_middleware(Unexpected)
    app.add_middleware(BodyLimit, max_bytes=container.settings.http_max_body_bytes,
                       by_prefix={"/ocpi/": OCPI_MAX_BODY_BYTES})  # fmt: skip
    app.add_middleware(BearerAuth, tokens=container.settings.tokens())
    app.add_middleware(RequestMetrics)
    return app
