"""``/livez``, ``/readyz`` and ``/metrics``, open to anyone (orchestrators and Prometheus carry no token).

What they mean (also in the README):

- ``/livez`` 200 while the process is not wedged: its event loop turns (a heartbeat task beats every
  0.5 s and a watchdog thread checks it; a loop blocked for ``LOOP_STALL_S`` fails liveness, and the
  watchdog logs it once with the stack that blocks it) and the workers' supervisor runs.  503
  otherwise: restart the process.
- ``/readyz`` answers within 500 ms from what background checks found: 503 while this instance cannot
  serve (PostgreSQL unreachable, or the service not started yet), 200 otherwise, even with a worker
  restarting or the broker away: writes still work, and the body lists every worker's state,
  restarts, last error and lag, the broker's state and the records read models could not apply, so a
  degraded pipeline is visible without pulling a write-capable instance out of a load balancer.

``RequestMetrics`` counts requests by route template, so ids in paths do not explode the label set.
"""

from __future__ import annotations

import asyncio
import sys
import threading
import time
import traceback
from collections.abc import Callable
from contextlib import asynccontextmanager
from typing import Any

import structlog
from fastapi import APIRouter, FastAPI, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from psycopg_pool import PoolClosed
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from infra.api.problems import ProblemResponse, problem, responses

log = structlog.get_logger(__name__)

#: What the service reports: ``started`` (bool), ``supervisor`` (bool: its thread beats), ``workers``
#: (a list of ``consumers.supervisor.Status.as_dict()``), and anything else worth showing.
Readiness = Callable[[], dict[str, Any]]

PROBE_EVERY_S = 0.5  # how often the PostgreSQL probe runs
PROBE_FRESH_S = 2.0  # a probe result older than this counts as "PostgreSQL does not answer"
PROBE_WAIT_S = 0.3  # how long /readyz waits for a first result
LOOP_BEAT_S = 0.5
LOOP_STALL_S = 5.0

HTTP_REQUESTS = Counter("sessionstream_http_requests_total", "HTTP requests answered.", ["method", "route", "status"])
HTTP_LATENCY = Histogram(
    "sessionstream_http_request_duration_seconds", "Time to answer an HTTP request.", ["method", "route"]
)

router = APIRouter(tags=["health"])


def no_checks() -> dict[str, Any]:
    """The API alone (no workers in this process): started, nothing to list."""
    return {"started": True, "supervisor": True, "workers": []}


class PostgresProbe:
    """``SELECT 1`` on a pooled connection every half second, in a thread of its own, so ``/readyz``
    reads a fresh result instead of waiting on a database that may hang."""

    def __init__(self, pool: Any) -> None:
        self.pool = pool
        self.ok_at: float | None = None
        self.checked_at: float | None = None
        self.error: str | None = None
        self._started = False
        self._lock = threading.Lock()
        self._down = False

    def start(self) -> None:
        with self._lock:
            if self._started:
                return
            self._started = True
        threading.Thread(target=self._run, name="postgres-probe", daemon=True).start()

    async def answers(self) -> bool:
        self.start()
        deadline = time.monotonic() + PROBE_WAIT_S
        while self.checked_at is None and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        return self.ok_at is not None and time.monotonic() - self.ok_at < PROBE_FRESH_S

    def _run(self) -> None:
        while True:
            try:
                with self.pool.connection(timeout=1.0) as conn:
                    conn.execute("SELECT 1")
                self.ok_at, self.error = time.monotonic(), None
                if self._down:
                    self._down = False
                    log.info("postgresql answers again")
            except PoolClosed:
                return  # the service is closing
            except Exception as error:  # noqa: BLE001 - any failure means "does not answer"
                self.error = f"{type(error).__name__}: {error}".splitlines()[0][:300]
                if not self._down:
                    self._down = True
                    log.warning("postgresql does not answer", error=self.error)
            self.checked_at = time.monotonic()
            time.sleep(PROBE_EVERY_S)


class LoopWatchdog:
    """A heartbeat task in the event loop and a thread that checks it (see the module docstring)."""

    def __init__(self, stall_s: float = LOOP_STALL_S, beat_s: float = LOOP_BEAT_S) -> None:
        self.stall_s = stall_s
        self.beat_s = beat_s
        self.beat = time.monotonic()
        self.loop_thread_id: int | None = None
        self.stalled = False
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.loop_thread_id = threading.get_ident()
        self.beat = time.monotonic()
        self._task = asyncio.get_running_loop().create_task(self._beat())
        threading.Thread(target=self._watch, name="loop-watchdog", daemon=True).start()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()

    def alive(self) -> bool:
        running = self._task is not None and not self._task.done()
        return running and time.monotonic() - self.beat < self.stall_s

    async def _beat(self) -> None:
        while True:
            self.beat = time.monotonic()
            await asyncio.sleep(self.beat_s)

    def _watch(self) -> None:
        while self._task is not None and not self._task.done():
            time.sleep(self.beat_s)
            late = time.monotonic() - self.beat
            if late >= self.stall_s and not self.stalled:
                self.stalled = True
                frame = sys._current_frames().get(self.loop_thread_id or 0)
                stack = "".join(traceback.format_stack(frame)) if frame is not None else ""
                log.error("event loop blocked", seconds=round(late, 1), stack=stack)
            elif late < self.stall_s and self.stalled:
                self.stalled = False
                log.info("event loop turns again")


def install(app: FastAPI, readiness: Readiness) -> None:
    """Health state on the app, and the heartbeat started with it."""
    app.state.readiness = readiness
    app.state.watchdog = LoopWatchdog()
    app.state.postgres_probe = PostgresProbe(app.state.container.pool)
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(application: Any):  # type: ignore[no-untyped-def]
        await app.state.watchdog.start()
        app.state.postgres_probe.start()
        try:
            async with inner(application) as state:
                yield state
        finally:
            await app.state.watchdog.stop()

    app.router.lifespan_context = lifespan


# Both answer from memory, on the event loop itself: never behind requests that wait for a database.
@router.get("/livez", response_model=None, responses=responses(503))
async def livez(request: Request) -> dict[str, str] | ProblemResponse:
    watchdog: LoopWatchdog = request.app.state.watchdog
    failing = []
    if watchdog._task is not None and not watchdog.alive():  # not started: served without a lifespan
        failing.append("event_loop")
    try:
        if not _report(request).get("supervisor", True):
            failing.append("supervisor")
    except Exception:  # noqa: BLE001 - a readiness hook that fails is a wedged supervisor
        failing.append("supervisor")
    if failing:
        return problem(503, f"Not alive: {', '.join(failing)}.", "service.not_alive")
    return {"status": "ok"}


@router.get("/readyz", response_model=None, responses=responses(503))
async def readyz(request: Request) -> dict[str, object] | ProblemResponse:
    probe: PostgresProbe = request.app.state.postgres_probe
    try:
        report = _report(request)
    except Exception:
        log.exception("readiness hook failed")
        report = {"started": False, "supervisor": False, "workers": []}
    checks = {
        "postgres": await probe.answers(),
        "started": bool(report.get("started")),
        "supervisor": bool(report.get("supervisor", True)),
    }
    workers = report.get("workers", [])
    body: dict[str, Any] = {
        "checks": checks,
        "degraded": [w["name"] for w in workers if w.get("state") not in ("running", "standby")],
        **{k: v for k, v in report.items() if k not in ("started", "supervisor")},
    }
    if not checks["postgres"] and probe.error:
        body["postgres_error"] = probe.error
    failing = sorted(name for name, ok in checks.items() if not ok)
    if failing:
        return problem(503, f"Not ready: {', '.join(failing)}.", "service.not_ready", headers={"Retry-After": "1"},
                       extra=body)  # fmt: skip
    return {"status": "ok", **body}


def _report(request: Request) -> dict[str, Any]:
    readiness: Readiness = request.app.state.readiness
    return readiness()


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
