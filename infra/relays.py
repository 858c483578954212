"""The relay as the service runs it: one child process per scope (``producers.relay.scopes``).

Why processes: mapping a notification to a message is Python work (decode, build, serialise), so one
relay is bound to one core by the GIL; one process per domain topic lets the busy topics use every
core, and each topic still has a single relay, which keeps its per-key order (see ``producers.relay``).

Parent and child talk over a pipe.  The child builds its relay (position loaded, producer created),
says ``("ready", position)`` and waits for ``"go"``; then it reports ``("published", count,
position)`` after every batch (the parent feeds its metrics).  ``"stop"``, SIGTERM, or the pipe
closing (the parent died) make it finish its batch and exit; it ignores SIGINT, which a terminal
sends to the whole process group: the parent decides.  A scope's relay holds a
PostgreSQL advisory lock while it runs, so two relays never publish one scope at once (say, a killed
service's child still finishing its batch while a restarted service starts a new one).
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from multiprocessing.connection import Connection
from typing import Any

import psycopg

from infra.container import Container, Endpoints
from infra.postgres import NotifyWaiter
from infra.settings import PROJECT_ROOT, Settings
from producers.catalogue import relay_scopes
from producers.relay import RelayMetrics, Scope

log = logging.getLogger(__name__)


class RelayProcess:
    """One scope's relay in a child process, with the ``Worker`` interface of ``infra.service``.

    ``gated``: the child waits, once ready, until ``release()`` (the benchmark times from there);
    otherwise it starts as soon as it is ready."""

    def __init__(
        self, settings: Settings, endpoints: Endpoints, scope: Scope, metrics: RelayMetrics | None = None,
        *, gated: bool = False,
    ) -> None:  # fmt: skip
        self.name = f"relay:{scope.name}"
        self.settings = settings
        self.endpoints = endpoints
        self.scope = scope
        self.metrics = metrics
        self.gated = gated
        self.ready = threading.Event()
        self.ended = threading.Event()
        self.position = 0
        self.published = 0
        self.error: BaseException | None = None
        self._stopping = False
        self._conn: Connection | None = None
        self._process: Any = None
        self._reader: threading.Thread | None = None

    def start(self) -> None:
        # A fresh interpreter (``python -m infra.relays``), not multiprocessing: that would re-run the
        # parent's main module in the child, which no caller of the service should have to guard.
        ours, theirs = socket.socketpair()
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(PROJECT_ROOT), env.get("PYTHONPATH", "")) if p)
        self._process = subprocess.Popen(
            [sys.executable, "-m", "infra.relays", str(theirs.fileno())], pass_fds=[theirs.fileno()], env=env,
            cwd=PROJECT_ROOT,
        )  # fmt: skip
        theirs.close()
        self._conn = Connection(ours.detach())
        self._conn.send((self.settings, self.endpoints, self.scope))
        self._reader = threading.Thread(target=self._read, name=f"{self.name}:reader", daemon=True)
        self._reader.start()

    def release(self) -> None:
        self._say("go")

    def stop(self) -> None:
        self._stopping = True
        self._say("stop")

    def join(self, timeout: float | None = None) -> None:
        """Waits for the child to end (the reader thread reaps it); terminates it after ``timeout``."""
        if self._process is None or self.ended.wait(timeout):
            return
        log.warning("relay process did not stop in time; terminating", extra={"worker": self.name})
        self._process.terminate()
        self.ended.wait(5)

    @property
    def healthy(self) -> bool:
        return self.error is None and self._process is not None and not self.ended.is_set()

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
                message = self._conn.recv()
                if message[0] == "ready":
                    self.position = message[1]
                    self.ready.set()
                    if not self.gated:
                        self.release()
                elif message[0] == "published":
                    _, count, position = message
                    self.published += count
                    self.position = position
                    if self.metrics:
                        self.metrics.on_published(count, position)
                elif message[0] == "failed":
                    self.error = RuntimeError(f"{self.name}: {message[1]}")
        except (EOFError, OSError):
            pass
        code = self._process.wait()
        if self.error is None and not self._stopping:
            self.error = RuntimeError(f"{self.name} exited with code {code}")
            log.error("relay process ended", extra={"worker": self.name, "exitcode": code})
        self._conn.close()
        self.ended.set()


def relay_processes(
    container: Container, metrics: RelayMetrics | None = None, *, gated: bool = False
) -> list[RelayProcess]:
    """The relays ``sessionstream run`` starts: one process per scope.  ``metrics`` hears every
    batch, with the position all scopes have reached (the lowest of theirs)."""
    plan = relay_scopes()
    lowest = _LowestPosition(metrics, [s.name for s in plan]) if metrics is not None else None
    return [
        RelayProcess(
            container.settings, container.endpoints, scope, lowest.of(scope.name) if lowest else None, gated=gated
        )
        for scope in plan
    ]


class _LowestPosition:
    def __init__(self, metrics: RelayMetrics, names: list[str]) -> None:
        self.metrics = metrics
        self.positions = dict.fromkeys(names, 0)
        self.lock = threading.Lock()

    def of(self, name: str) -> RelayMetrics:
        lowest = self

        class Scoped:
            def on_published(self, count: int, position: int) -> None:
                with lowest.lock:
                    lowest.positions[name] = position
                    everywhere = min(lowest.positions.values())
                lowest.metrics.on_published(count, everywhere)

        return Scoped()


class _PipeMetrics:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def on_published(self, count: int, position: int) -> None:
        self.conn.send(("published", count, position))


@contextmanager
def scope_lock(database_url: str, name: str, stopping: threading.Event) -> Iterator[bool]:
    """Holds the scope's advisory lock (yields False if asked to stop while waiting for it)."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        while True:
            row = conn.execute(
                "SELECT pg_try_advisory_lock(hashtext('sessionstream.relay'), hashtext(%s))", (name,)
            ).fetchone()
            if row is not None and row[0]:
                break
            log.info("waiting for another relay of this scope to stop", extra={"scope": name})
            if stopping.wait(0.5):
                yield False
                return
        yield True  # released when the connection closes


def child_main(settings: Settings, endpoints: Endpoints, scope: Scope, conn: Connection) -> None:
    """The child process: runs one scope's relay until told to stop or orphaned."""
    from infra import logging as logs

    logs.configure(settings.log_level, settings.log_json)
    stopping = threading.Event()
    go = threading.Event()
    relays: list[Any] = []

    def stop(*_args: Any) -> None:
        stopping.set()
        go.set()
        for relay in relays:
            relay.stop()

    signal.signal(signal.SIGTERM, stop)
    # Ctrl+C reaches the whole process group: the parent decides, and says "stop" (or goes away).
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def listen() -> None:
        try:
            while (message := conn.recv()) != "stop":
                if message == "go":
                    go.set()
        except (EOFError, OSError):
            pass  # the parent is gone
        stop()

    threading.Thread(target=listen, name="parent", daemon=True).start()
    container = Container(settings, endpoints, create_event_store=False)  # the parent prepared them
    try:
        with scope_lock(endpoints.database_url, container.relay_position_name(scope), stopping) as locked:
            if not locked:
                return
            waiter = NotifyWaiter(endpoints.database_url, f"{container.event_store.name.lower()}_events")
            try:
                relay = container.relay(scope, wait_for_new=waiter, metrics=_PipeMetrics(conn))
                relays.append(relay)
                if stopping.is_set():
                    return
                conn.send(("ready", relay.stats.position))
                go.wait()
                if not stopping.is_set():
                    relay.run()
            finally:
                waiter.close()
    except BaseException as error:
        try:
            conn.send(("failed", f"{type(error).__name__}: {error}"))
        except OSError:
            pass
        log.exception("relay stopped", extra={"scope": scope.name})
        raise
    finally:
        container.close()


if __name__ == "__main__":
    _conn = Connection(int(sys.argv[1]))
    _settings, _endpoints, _scope = _conn.recv()
    child_main(_settings, _endpoints, _scope, _conn)
