"""``/livez``, ``/readyz`` and ``/metrics``, open to anyone (orchestrators and Prometheus carry no token).

Readiness is PostgreSQL answering ``select 1`` plus whatever the ``readiness`` hook reports (Kafka
reachable, consumers not stalled): the service that owns those parts knows their health, the API does not.
``RequestMetrics`` counts requests by route template, so ids in paths do not explode the label set.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from fastapi import APIRouter, Request, Response
from psycopg_pool import ConnectionPool
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from infra.api.context import ContainerDep
from infra.api.problems import ProblemResponse, problem, responses

log = logging.getLogger(__name__)

Readiness = Callable[[], dict[str, bool]]
DB_TIMEOUT_S = 2.0

HTTP_REQUESTS = Counter(
    "sessionstream_http_requests_total", "HTTP requests answered.", ["method", "route", "status"]
)
HTTP_LATENCY = Histogram(
    "sessionstream_http_request_duration_seconds", "Time to answer an HTTP request.", ["method", "route"]
)

router = APIRouter(tags=["health"])


def no_checks() -> dict[str, bool]:
    return {}


@router.get("/livez")
def livez() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", response_model=None, responses=responses(503))
def readyz(request: Request, container: ContainerDep) -> dict[str, object] | ProblemResponse:
    checks = {"postgres": postgres_answers(container.pool)}
    readiness: Readiness = request.app.state.readiness
    try:
        checks.update(readiness())
    except Exception:
        log.exception("readiness hook failed")
        checks["readiness_hook"] = False
    failing = sorted(name for name, ok in checks.items() if not ok)
    if failing:
        return problem(503, f"Not ready: {', '.join(failing)}.", "service.not_ready", extra={"checks": checks})
    return {"status": "ok", "checks": checks}


def postgres_answers(pool: ConnectionPool) -> bool:
    try:
        with pool.connection(timeout=DB_TIMEOUT_S) as conn:
            conn.execute("select 1")
        return True
    except Exception:
        log.warning("readiness: PostgreSQL does not answer", exc_info=True)
        return False


@router.get("/metrics", response_class=Response)
def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


class RequestMetrics:
    """Counts and times every HTTP request, labelled by the matched route's template."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            # The router records the matched route in the scope; unmatched paths share one label.
            route = getattr(scope.get("route"), "path", "unmatched")
            HTTP_REQUESTS.labels(scope["method"], route, str(status)).inc()
            HTTP_LATENCY.labels(scope["method"], route).observe(time.perf_counter() - started)
