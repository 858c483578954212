"""The running service: HTTP API, relay and consumers, or any part of it alone.

Every worker runs under supervision (``consumers.supervisor``): the consumers and jobs in threads of
this process, the relay as one child process per scope (``infra.relays``).  A worker that fails is
restarted with backoff, forever; ``health()`` feeds ``/readyz`` and ``/livez``.

Stopping (SIGTERM or Ctrl+C): the service owns the signals (uvicorn's own handlers would re-raise
the signal after its shutdown, and the process would end with 143 before the workers drained).  On
the first signal: stop taking requests (uvicorn finishes those in flight), ask every worker to
finish its batch (consumers commit it, relays flush their acks and record their positions, relay
children exit), wait up to ``stop_timeout_s``, close the pools and producers, log the drain, return
(exit 0).  A second signal exits at once (1).
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterable
from contextlib import nullcontext, suppress
from dataclasses import dataclass, field
from typing import Any

import psycopg
import structlog

from consumers.supervisor import Supervised, Supervisor
from infra.audit.sealer_child import SealerProcess
from infra.audit.sealer_run import SealerRun
from infra.container import Container
from infra.kafka import BROKER
from infra.metrics import PrometheusMetrics
from infra.relays import relay_factory
from producers.catalogue import relay_scopes
from projections.catalogue import LIVE_SCHEMA, PROJECTIONS

log = structlog.get_logger(__name__)

#: Seconds uvicorn gives requests in flight once a stop is asked.
HTTP_GRACE_S = 2.0


class LogWatch:
    """Once a second (from the supervisor's thread): the event store's head (for the relays' lag) and,
    now and then, the records each read model could not apply.  Its own connection, with short
    timeouts, so a database that hangs delays a sample, never a request."""

    def __init__(self, database_url: str, events_table: str, metrics: PrometheusMetrics, errors_every: int = 5) -> None:
        self.database_url = database_url
        self.head_query = f"SELECT max(notification_id) FROM {events_table}"
        self.metrics = metrics
        self.errors_every = errors_every
        self.head = 0
        self.projection_errors: dict[str, int] = {}
        self._conn: psycopg.Connection[Any] | None = None
        self._samples = 0

    def __call__(self) -> None:
        try:
            conn = self._connection()
            row = conn.execute(self.head_query).fetchone()  # type: ignore[arg-type]
            self.head = int(row[0] or 0) if row else 0
            self.metrics.on_head(self.head)
            if self._samples % self.errors_every == 0:
                rows = conn.execute(
                    f"SELECT projection, count(*) FROM {LIVE_SCHEMA}.projection_errors GROUP BY projection"
                ).fetchall()
                self.projection_errors = {name: int(n) for name, n in rows}
                self.metrics.on_projection_errors(self.projection_errors)
            self._samples += 1
        except psycopg.Error:
            self.close()  # reconnected at the next sample; the PostgreSQL probe reports the outage

    def _connection(self) -> psycopg.Connection[Any]:
        if self._conn is None or self._conn.closed:
            self._conn = psycopg.connect(
                self.database_url, autocommit=True, connect_timeout=2, options="-c statement_timeout=1000"
            )
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            with suppress(psycopg.Error):
                self._conn.close()
            self._conn = None


@dataclass
class Service:
    container: Container
    workers: list[Supervised] = field(default_factory=list)
    stopping: threading.Event = field(default_factory=threading.Event)
    started: bool = False
    metrics: PrometheusMetrics = field(default_factory=PrometheusMetrics)
    watch: LogWatch | None = None
    supervisor: Supervisor | None = None

    @classmethod
    def assemble(
        cls, container: Container, *, relay: bool = True, projections: Iterable[str] | None = None,
        inbound: bool = True, jobs: bool = True, seal: bool = True,
    ) -> Service:  # fmt: skip
        container.prepare()  # schema and topics first: the workers read them as they are built
        service = cls(container)
        metrics = service.metrics
        recorder = container.event_store.recorder
        events_table = f"{recorder.datastore.schema or 'public'}.{recorder.events_table_name}"
        service.watch = watch = LogWatch(container.endpoints.database_url, events_table, metrics)
        add = service._add
        if relay:
            for scope in relay_scopes():
                make = relay_factory(container, scope, metrics, head=lambda: watch.head)
                add(f"relay:{scope.name}", make)
        if seal:
            add(SealerRun.name, lambda: SealerProcess(container.settings, container.endpoints))
        for name in PROJECTIONS if projections is None else projections:
            add(f"projection:{name}", lambda name=name: container.projection_runner(name, metrics=metrics))
        if inbound:
            # Each runner gets its handler built anew, with the container's producer of that moment (a
            # producer that knew no broker any more is replaced there).
            handlers = container.inbound_handlers
            for name in handlers():
                add(name, lambda name=name: container.inbound_runner(handlers()[name], metrics=metrics))
        if jobs:
            for job in container.jobs():
                add(job.name, lambda job=job: job)
        return service

    def _add(self, name: str, make: Any) -> None:
        self.workers.append(Supervised(name, make, hooks=self.metrics))

    def start(self) -> None:
        self.supervisor = Supervisor(self.workers, hooks=self.metrics)
        if self.watch is not None:
            self.supervisor.samplers.append(self.watch)
        self.supervisor.start()
        self.started = True
        log.info("service started", workers=[w.name for w in self.workers], pid=os.getpid())

    def health(self) -> dict[str, Any]:
        """For ``/readyz`` and ``/livez``: from memory, never waiting on a dependency."""
        supervisor = self.supervisor
        statuses = supervisor.statuses() if supervisor is not None else []
        report: dict[str, Any] = {
            "started": self.started and not self.stopping.is_set(),
            "supervisor": supervisor is None or supervisor.alive(),
            "workers": [s.as_dict() for s in statuses],
            "kafka": {"state": "failing" if BROKER.failing else "ok", "last_error": BROKER.last_error},
        }
        if self.watch is not None:
            report["log_head"] = self.watch.head
            report["projection_errors"] = self.watch.projection_errors
        pids = {w.name: getattr(w.current, "pid", None) for w in self.workers}
        for worker in report["workers"]:
            if pids.get(worker["name"]) is not None:
                worker["pid"] = pids[worker["name"]]
        return report

    def readiness(self) -> dict[str, Any]:
        return self.health()

    def stop(self, timeout: float | None = None) -> None:
        timeout = self.container.settings.stop_timeout_s if timeout is None else timeout
        started = time.monotonic()
        self.stopping.set()
        late: list[str] = []
        if self.supervisor is not None:
            late = self.supervisor.stop(timeout)
        if self.watch is not None:
            self.watch.close()
        log.info("workers drained", seconds=round(time.monotonic() - started, 2), late=late)

    def run(self, *, api: bool = True) -> None:
        """Runs until SIGTERM/SIGINT (see the module docstring)."""
        server = self._api_server() if api else None
        self._handle_signals(server)
        self.start()
        try:
            if server is not None:
                server.run()
                log.info("requests stopped")
            else:
                while not self.stopping.wait(0.5):
                    pass
        finally:
            self.stop()
            if self.container._producer is not None:  # dead letters and outcomes are acked already
                self.container._producer.close(timeout=2)
            self.container.close()
            log.info("service stopped")

    def _api_server(self) -> Any:
        import uvicorn

        from infra.api.app import create_app

        settings = self.container.settings
        app = create_app(self.container, readiness=self.health)
        config = uvicorn.Config(app, host=settings.http_host, port=settings.http_port, log_level="warning",
                                access_log=False, timeout_graceful_shutdown=HTTP_GRACE_S,
                                log_config=None)  # fmt: skip
        return _Server(config)

    def _handle_signals(self, server: Any) -> None:
        received: list[int] = []

        def handler(signum: int, _frame: Any) -> None:
            if received:
                log.warning("second stop signal: exiting at once")
                os._exit(1)
            received.append(signum)
            log.info("stop requested", signal=signal.Signals(signum).name)
            self.stopping.set()
            if server is not None:
                server.should_exit = True

        signal.signal(signal.SIGTERM, handler)
        signal.signal(signal.SIGINT, handler)


def _Server(config: Any) -> Any:  # named as the class it makes: uvicorn is imported on first use
    import uvicorn

    class Server(uvicorn.Server):
        """uvicorn without its signal handlers: the service owns them (see the module docstring)."""

        def capture_signals(self) -> Any:
            return nullcontext()

    return Server(config)
