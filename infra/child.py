"""The child's side of a worker process (a relay scope, the audit sealer): the pipe to the parent,
stop on SIGTERM or on the parent's word or death, and the work rebuilt after any failure.

The parent's side and the messages are described in ``infra.relays``.  ``serve`` runs ``attempt``
(build the worker, run it until it ends) again and again, with the transient backoff between two
failures, until the child is told to stop; the attempt says ``Child.started`` once it is ready,
which the first time sends ``("ready", position)`` and waits for the parent's ``"go"``.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

import structlog

from consumers.error_policy import TRANSIENT, transient
from consumers.supervisor import attempt_state, describe
from infra.container import Container
from infra.settings import Settings

log = structlog.get_logger(__name__)

#: Work rebuilt this long after the previous attempt started is past its backoff.
HEALTHY_AFTER_S = 10.0


class Pipe:
    """The child's end: sends from the worker's thread and the main one, never interleaved."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.lock = threading.Lock()
        self._progress_at = 0.0

    def send(self, message: tuple[Any, ...]) -> None:
        with self.lock, contextlib.suppress(OSError):  # the parent is gone; the listener stops us
            self.conn.send(message)

    def on_published(self, count: int, position: int) -> None:
        self.send(("published", count, position))

    def on_sealed(self, count: int, position: int) -> None:
        self.send(("published", count, position))

    def on_progress(self, position: int, horizon: int) -> None:
        now = time.monotonic()
        if position >= horizon or now - self._progress_at >= 0.5:  # at most twice a second while behind
            self._progress_at = now
            self.send(("progress", position, horizon))


class Child:
    """What an attempt sees: whether to stop, the pipe, and where to register its workers' ``stop``."""

    def __init__(self, conn: Connection) -> None:
        self.pipe = Pipe(conn)
        self.stopping = threading.Event()
        self.go = threading.Event()
        self.stops: list[Callable[[], None]] = []
        self._first = True

    def stop(self, *_args: Any) -> None:
        self.stopping.set()
        self.go.set()
        for stop in list(self.stops):
            stop()

    def started(self, position: int) -> None:
        """The work is built: the first time, say so and wait for ``"go"``; then report it running."""
        if self._first:
            self.pipe.send(("ready", position))
            self.go.wait()
            self._first = False
        self.pipe.send(("state", "running", None))

    def standby(self) -> None:
        self.pipe.send(("state", "standby", None))


def serve(settings: Settings, conn: Connection, label: str, attempt: Callable[[Child], None]) -> None:
    """The child process (see the module docstring): ``attempt`` until told to stop or orphaned."""
    from infra import logging as logs

    logs.configure(settings.log_level, settings.log_json)
    child = Child(conn)
    signal.signal(signal.SIGTERM, child.stop)
    # Ctrl+C reaches the whole process group: the parent decides, and says "stop" (or goes away).
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def listen() -> None:
        try:
            while (message := conn.recv()) != "stop":
                if message == "go":
                    child.go.set()
        except (EOFError, OSError):
            pass  # the parent is gone
        child.stop()

    threading.Thread(target=listen, name="parent", daemon=True).start()
    failures = 0
    while not child.stopping.is_set():
        started = time.monotonic()
        try:
            attempt(child)
        except Exception as error:  # rebuilt after a pause, from what it recorded
            if child.stopping.is_set():
                break
            failures = 1 if time.monotonic() - started >= HEALTHY_AFTER_S else failures + 1
            child.pipe.send(("state", "retrying", describe(error)))
            if not transient(error):
                log.error("worker raised", worker=label, exc_info=error)
            child.stopping.wait(TRANSIENT(attempt_state(failures)))
        finally:
            child.stops.clear()


def close_container(container: Container, *, quickly: bool) -> None:
    """Closes the container; when stopping, gives unacknowledged messages a second, not ten."""
    producer = container._producer
    if producer is not None:
        producer.close(timeout=1 if quickly else 10)
    try:
        container.close()
    except Exception:  # a pool closing over a dead server may complain
        log.debug("container close failed", exc_info=True)
