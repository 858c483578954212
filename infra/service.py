"""The running service: HTTP API, relay and consumers, or any part of it alone.

Consumers run in threads of this process; the relay runs as one child process per scope
(``infra.relays``).  SIGTERM (or Ctrl+C) asks every worker to finish its current batch and stop; a
second signal exits at once.  ``readiness`` feeds ``/readyz``.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from infra.audit.sealer import SealerRun
from infra.container import Container
from infra.metrics import PrometheusMetrics
from infra.relays import relay_processes
from projections.catalogue import PROJECTIONS

log = logging.getLogger(__name__)


class Runs(Protocol):
    name: str
    error: BaseException | None

    def start(self) -> None: ...
    def stop(self) -> None: ...
    def join(self, timeout: float | None = None) -> None: ...
    @property
    def healthy(self) -> bool: ...


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

    def join(self, timeout: float | None = None) -> None:
        if self.thread is not None:
            self.thread.join(timeout)

    @property
    def healthy(self) -> bool:
        return self.error is None and self.thread is not None and self.thread.is_alive()


@dataclass
class Service:
    container: Container
    workers: list[Runs] = field(default_factory=list)
    stopping: threading.Event = field(default_factory=threading.Event)

    @classmethod
    def assemble(
        cls, container: Container, *, relay: bool = True, projections: Iterable[str] | None = None,
        inbound: bool = True, jobs: bool = True, seal: bool = True,
    ) -> Service:  # fmt: skip
        container.prepare()  # schema and topics first: the workers read them as they are built
        service = cls(container)
        metrics = PrometheusMetrics()
        if relay:
            service.workers.extend(relay_processes(container, metrics))
        if seal:
            sealing = SealerRun(container)
            service.workers.append(Worker(sealing.name, sealing.run, sealing.stop))
        for name in PROJECTIONS if projections is None else projections:
            runner = container.projection_runner(name, metrics=metrics)
            service.workers.append(Worker(f"projection:{name}", runner.run, runner.stop))
        if inbound:
            for name, handler in container.inbound_handlers().items():
                runner = container.inbound_runner(handler, metrics=metrics)
                service.workers.append(Worker(name, runner.run, runner.stop))
        if jobs:
            for job in container.jobs():
                service.workers.append(Worker(job.name, job.run, job.stop))
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
            worker.join(max(0.0, deadline - time.monotonic()))
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
