"""The running service: HTTP API, relay and consumers in one process, or any part of it alone.

Each worker runs in a thread; SIGTERM (or Ctrl+C) asks every worker to finish its current batch and
stop; a second signal exits at once.  ``readiness`` feeds ``/readyz``.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from infra.container import Container
from infra.metrics import PrometheusMetrics
from infra.postgres import NotifyWaiter
from projections.catalogue import PROJECTIONS

log = logging.getLogger(__name__)


@dataclass
class Worker:
    name: str
    target: Callable[[], None]
    stop: Callable[[], None]
    thread: threading.Thread | None = None
    error: BaseException | None = None

    def start(self) -> None:
        def body() -> None:
            try:
                self.target()
            except BaseException as error:  # noqa: BLE001 - kept for /readyz
                self.error = error
                log.exception("worker stopped", extra={"worker": self.name})

        self.thread = threading.Thread(target=body, name=self.name, daemon=True)
        self.thread.start()

    @property
    def healthy(self) -> bool:
        return self.error is None and self.thread is not None and self.thread.is_alive()


def lead(container: Container, body: Callable[[], None], stopping: threading.Event) -> None:
    """Runs ``body`` once this process holds the relay's leadership (see ``Leadership``)."""
    leadership = container.relay_leadership()
    if not leadership.try_acquire():
        log.info("another relay leads; waiting for its turn")
        if not leadership.acquire(stopping.is_set):
            return
    try:
        body()
    finally:
        leadership.release()


@dataclass
class Service:
    container: Container
    workers: list[Worker] = field(default_factory=list)
    stopping: threading.Event = field(default_factory=threading.Event)

    @classmethod
    def assemble(
        cls, container: Container, *, relay: bool = True, projections: Iterable[str] | None = None,
        inbound: bool = True, dispatcher: bool = True, auto_end: bool = True,
    ) -> Service:  # fmt: skip
        container.prepare()  # schema and topics first: the workers read them as they are built
        service = cls(container)
        metrics = PrometheusMetrics()
        if relay:
            waiter = NotifyWaiter(container.endpoints.database_url, f"{container.app.name.lower()}_events")
            r = container.relay(wait_for_new=waiter, metrics=metrics)
            service.workers.append(Worker("relay", lambda: lead(container, r.run, service.stopping), r.stop))
        for name in PROJECTIONS if projections is None else projections:
            runner = container.projection_runner(name, metrics=metrics)
            service.workers.append(Worker(f"projection:{name}", runner.run, runner.stop))
        if inbound:
            runner = container.inbound_runner(metrics=metrics)
            service.workers.append(Worker("inbound:registrations", runner.run, runner.stop))
        for wanted, job in ((dispatcher, container.dispatcher), (auto_end, container.auto_end)):
            if wanted:
                j = job()
                service.workers.append(Worker(j.name, j.run, j.stop))
        return service

    def start(self) -> None:
        for worker in self.workers:
            worker.start()
        log.info("service started", extra={"workers": [w.name for w in self.workers]})

    def readiness(self) -> dict[str, bool]:
        return {w.name: w.healthy for w in self.workers}

    def stop(self, timeout: float = 30.0) -> None:
        self.stopping.set()
        for worker in self.workers:
            worker.stop()
        deadline = time.monotonic() + timeout
        for worker in self.workers:
            if worker.thread is not None:
                worker.thread.join(max(0.0, deadline - time.monotonic()))
        log.info("service stopped")

    def run(self, *, api: bool = True) -> None:
        """Runs until SIGTERM/SIGINT.  With the API, uvicorn owns the signals and returns on them."""
        if not api:
            self._handle_signals()
        self.start()
        try:
            if api:
                self._serve_api()
            else:
                while not self.stopping.wait(0.5):
                    pass
        finally:
            self.stop()
            self.container.close()

    def _serve_api(self) -> None:
        import uvicorn

        from infra.api.app import create_app

        settings = self.container.settings
        app = create_app(self.container, readiness=self.readiness)
        config = uvicorn.Config(app, host=settings.http_host, port=settings.http_port, log_level="warning",
                                access_log=False)  # fmt: skip
        uvicorn.Server(config).run()

    def _handle_signals(self) -> None:
        received: list[int] = []

        def handler(signum: int, _frame: Any) -> None:
            if received:
                raise SystemExit(1)  # a second signal aborts
            received.append(signum)
            self.stopping.set()

        signal.signal(signal.SIGTERM, handler)
        signal.signal(signal.SIGINT, handler)
