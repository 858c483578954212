"""The relay as the service runs it: one child process per scope (``producers.relay.scopes``).

Why processes: mapping a notification to a message is Python work (decode, build, serialise), so one
relay is bound to one core by the GIL; one process per domain topic lets the busy topics use every
core, and each topic still has a single relay, which keeps its per-key order (see ``producers.relay``).

Parent and child (``infra.relay_child``) talk over a pipe.  The child builds its relay (position
loaded, producer created), says ``("ready", position)`` and waits for ``"go"``; then it reports ``("published", count,
position)`` after every batch (the parent feeds its metrics), ``("progress", position, horizon)``
(for the lag) and ``("state", state, error)`` when it waits for its scope's lock (``standby``),
runs, or retries after a failure.  ``"stop"``, SIGTERM, or the pipe closing (the parent died) make
it finish its batch and exit; it ignores SIGINT, which a terminal sends to the whole process group:
the parent decides.

Two levels of supervision: inside the child, any failure (PostgreSQL restarting, the lock's
connection lost, a bug) ends the current relay, which is rebuilt after a backoff from its recorded
position; the parent's supervisor (``infra.service``) restarts a child process that dies (SIGKILL,
a crash).  A scope's relay holds a PostgreSQL advisory lock while it runs, so two relays never
publish one scope at once: a second instance's child waits in ``standby`` and takes over within a
second of the holder's death (its connection closes, the lock goes with it).  The holder checks its
lock's connection after every batch's acks, before it records its position, and stops publishing
if it was lost.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

import structlog

from consumers.supervisor import Condition
from infra.container import Container, Endpoints
from infra.settings import PROJECT_ROOT, Settings
from producers.catalogue import relay_scopes
from producers.relay import RelayMetrics, Scope

log = structlog.get_logger(__name__)


class RelayProcess:
    """One scope's relay in a child process: ``start``/``stop``/``join``, and ``run`` (start and wait
    until it ends; raises if it ended without being asked) for the service's supervisor.

    ``gated``: the child waits, once ready, until ``release()`` (the benchmark times from there);
    otherwise it starts as soon as it is ready.  ``head`` gives the log's highest notification id as
    last sampled, for the lag."""

    #: The child's module (``python -m``); it reads ``payload()`` from the pipe first.
    module = "infra.relay_child"

    def __init__(
        self, settings: Settings, endpoints: Endpoints, scope: Scope | None, metrics: RelayMetrics | None = None,
        *, gated: bool = False, head: Callable[[], int] | None = None, name: str | None = None,
    ) -> None:  # fmt: skip
        self.name = name or f"relay:{scope.name if scope is not None else self.module}"
        self.settings = settings
        self.endpoints = endpoints
        self.scope = scope
        self.metrics = metrics
        self.gated = gated
        self.head = head or (lambda: 0)
        self.ready = threading.Event()
        self.ended = threading.Event()
        self.condition = Condition(self.name)
        self.position = 0
        self.horizon = 0
        self.caught_up_at = time.time()
        self.published = 0
        self.error: BaseException | None = None
        self.exitcode: int | None = None
        self._stopping = False
        self._conn: Connection | None = None
        self._process: Any = None
        self._reader: threading.Thread | None = None

    @property
    def pid(self) -> int | None:
        return None if self._process is None else int(self._process.pid)

    def start(self) -> None:
        # A fresh interpreter (``python -m infra.relays``), not multiprocessing: that would re-run the
        # parent's main module in the child, which no caller of the service should have to guard.
        ours, theirs = socket.socketpair()
        env = self.settings.child_env()
        self._process = subprocess.Popen(
            [sys.executable, "-m", self.module, str(theirs.fileno())], pass_fds=[theirs.fileno()], env=env,
            cwd=PROJECT_ROOT,
        )  # fmt: skip
        theirs.close()
        self._conn = Connection(ours.detach())
        self._conn.send(self.payload())
        self._reader = threading.Thread(target=self._read, name=f"{self.name}:reader", daemon=True)
        self._reader.start()

    def payload(self) -> tuple[Any, ...]:
        return (self.settings, self.endpoints, self.scope)

    def run(self) -> None:
        self.start()
        self.ended.wait()
        if not self._stopping:
            raise ChildEnded(f"{self.name} process exited with code {self.exitcode}")

    def release(self) -> None:
        self._say("go")

    def stop(self) -> None:
        self._stopping = True
        self._say("stop")

    def join(self, timeout: float | None = None) -> None:
        """Waits for the child to end (the reader thread reaps it); terminates it after ``timeout``."""
        if self._process is None or self.ended.wait(timeout):
            return
        log.warning("child process did not stop in time; killing it", worker=self.name)
        self._process.kill()
        self.ended.wait(5)

    def kill(self) -> None:
        self._stopping = True
        if self._process is not None and self._process.poll() is None:
            self._process.kill()

    @property
    def healthy(self) -> bool:
        return self.error is None and self._process is not None and not self.ended.is_set()

    def lag(self) -> tuple[int, float] | None:
        """Notifications between this scope's position and the log's head, and seconds since the
        scope last had everything up to the head (0 when it has)."""
        if self.condition.state == "standby" or not self.ready.is_set():
            return None
        behind = max(0, max(self.horizon, self.head()) - self.position)
        return behind, 0.0 if behind == 0 else max(0.0, time.time() - self.caught_up_at)

    def _say(self, message: str) -> None:
        try:
            if self._conn is not None:
                self._conn.send(message)
        except (BrokenPipeError, OSError):
            pass  # the child has ended: nothing to tell

    def _read(self) -> None:
        assert self._conn is not None
        try:
            while True:
                self._on(self._conn.recv())
        except (EOFError, OSError):
            pass
        self.exitcode = self._process.wait()
        if not self._stopping:
            self.error = ChildEnded(f"{self.name} exited with code {self.exitcode}")
        self._conn.close()
        self.ended.set()

    def _on(self, message: tuple[Any, ...]) -> None:
        kind = message[0]
        if kind == "ready":
            self.position = message[1]
            self.ready.set()
            if not self.gated:
                self.release()
        elif kind == "published":
            _, count, position = message
            self.published += count
            self.position = position
            if self.metrics:
                self.metrics.on_published(count, position)
        elif kind == "progress":
            _, self.position, horizon = message
            self.horizon = max(self.horizon, horizon)
            if self.position >= horizon:
                self.caught_up_at = time.time()
        elif kind == "state":
            _, state, error = message
            if error is None:
                self.condition.ok(state)
            else:
                self.error = RuntimeError(f"{self.name}: {error}")
                self.condition.fail(error, state)
        elif kind == "failed":
            self.error = RuntimeError(f"{self.name}: {message[1]}")


class ChildEnded(RuntimeError):
    """A relay process ended without being asked to (killed, crashed)."""


def relay_processes(
    container: Container, metrics: RelayMetrics | None = None, *, gated: bool = False,
    head: Callable[[], int] | None = None,
) -> list[RelayProcess]:  # fmt: skip
    """The relays ``sessionstream run`` starts: one process per scope.  ``metrics`` hears every
    batch, with the position all scopes have reached (the lowest of theirs)."""
    return [relay_factory(container, scope, metrics, head=head, gated=gated)() for scope in relay_scopes()]


def relay_factory(
    container: Container, scope: Scope, metrics: RelayMetrics | None = None, *, gated: bool = False,
    head: Callable[[], int] | None = None,
) -> Callable[[], RelayProcess]:  # fmt: skip
    """Builds a scope's relay process, again after each death (``infra.service`` supervises)."""
    scoped = _LowestPosition.shared(metrics).of(scope.name) if metrics is not None else None

    def make() -> RelayProcess:
        return RelayProcess(container.settings, container.endpoints, scope, scoped, gated=gated, head=head)

    return make


class _LowestPosition:
    _by_metrics: dict[int, _LowestPosition] = {}

    def __init__(self, metrics: RelayMetrics) -> None:
        self.metrics = metrics
        self.positions = {s.name: 0 for s in relay_scopes()}
        self.lock = threading.Lock()

    @classmethod
    def shared(cls, metrics: RelayMetrics) -> _LowestPosition:
        known = cls._by_metrics.get(id(metrics))
        if known is None or known.metrics is not metrics:
            known = cls._by_metrics[id(metrics)] = cls(metrics)
        return known

    def of(self, name: str) -> RelayMetrics:
        lowest = self

        class Scoped:
            def on_published(self, count: int, position: int) -> None:
                with lowest.lock:
                    lowest.positions[name] = position
                    everywhere = min(lowest.positions.values())
                lowest.metrics.on_published(count, everywhere)

        return Scoped()
