"""A relay child process (``python -m infra.relay_child``): one scope's relay, rebuilt after any
failure, until the parent says stop or goes away.  See ``infra.relays`` for the protocol and the
supervision; this module is the child's side: the pipe, the scope's lock, the test-only pause.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import psycopg
import structlog

from consumers.error_policy import TRANSIENT, transient
from consumers.supervisor import attempt_state, describe
from infra.container import Container, Endpoints
from infra.postgres import NotifyWaiter
from infra.settings import Settings
from producers.relay import RelayStopped, Scope

log = structlog.get_logger(__name__)

#: A relay rebuilt this long after the previous one started is past its backoff.
HEALTHY_AFTER_S = 10.0
#: How often a relay that publishes nothing checks that it still holds its scope's lock.
IDLE_LOCK_CHECK_S = 1.0


class _Pipe:
    """The child's end: sends from the relay's thread and the main one, never interleaved."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.lock = threading.Lock()
        self._progress_at = 0.0

    def send(self, message: tuple[Any, ...]) -> None:
        with self.lock:
            try:
                self.conn.send(message)
            except OSError:
                pass  # the parent is gone; the listener stops us

    def on_published(self, count: int, position: int) -> None:
        self.send(("published", count, position))

    def on_progress(self, position: int, horizon: int) -> None:
        now = time.monotonic()
        if position >= horizon or now - self._progress_at >= 0.5:  # at most twice a second while behind
            self._progress_at = now
            self.send(("progress", position, horizon))


class ScopeLock:
    """The scope's advisory lock, on a connection of its own (it is held as long as that lives)."""

    def __init__(self, conn: psycopg.Connection[Any], idle_check_s: float = IDLE_LOCK_CHECK_S) -> None:
        self.conn = conn
        self.idle_check_s = idle_check_s
        self.checked_at = time.monotonic()

    def check(self) -> None:
        """Raises ``psycopg.OperationalError`` if the lock's connection is gone (the lock with it)."""
        self.conn.execute("SELECT 1")
        self.checked_at = time.monotonic()

    def due(self) -> bool:
        """Whether an idle relay should check now (``idle_check_s`` since the last check)."""
        return time.monotonic() - self.checked_at >= self.idle_check_s


@contextmanager
def scope_lock(
    database_url: str, name: str, stopping: threading.Event, waiting: Callable[[], None] | None = None
) -> Iterator[ScopeLock | None]:
    """Holds the scope's advisory lock (yields None if asked to stop while waiting for it)."""
    # Keepalives both ways: a holder that vanishes without closing its socket loses the lock within
    # ~10 s (the server drops it), and a holder whose server vanished learns it as soon.
    with psycopg.connect(
        database_url, autocommit=True, connect_timeout=5, keepalives=1, keepalives_idle=5, keepalives_interval=2,
        keepalives_count=3,
    ) as conn:  # fmt: skip
        conn.execute("SET tcp_keepalives_idle = 5; SET tcp_keepalives_interval = 2; SET tcp_keepalives_count = 3")
        said = False
        while True:
            row = conn.execute(
                "SELECT pg_try_advisory_lock(hashtext('sessionstream.relay'), hashtext(%s))", (name,)
            ).fetchone()
            if row is not None and row[0]:
                break
            if not said and waiting is not None:
                waiting()
                said = True
            if stopping.wait(0.5):
                yield None
                return
        yield ScopeLock(conn)  # released when the connection closes


def _pause_once(marker: Path | None, stopping: threading.Event) -> Callable[[int], None]:
    """Tests only (``SESSIONSTREAM_FAULT_RELAY_PAUSE_FILE``): after the first batch that published
    something, with its acks in and its position not yet saved, write our pid to ``marker`` and
    wait there to be killed.  Only the first process to create the file pauses."""

    def pause(sent: int) -> None:
        if marker is None or sent == 0:
            return
        try:
            fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            return
        with os.fdopen(fd, "w") as out:
            out.write(str(os.getpid()))
        log.warning("relay paused inside a batch (test hook)", pid=os.getpid())
        while not stopping.wait(0.1):
            pass
        raise RelayStopped()

    return pause


def child_main(settings: Settings, endpoints: Endpoints, scope: Scope, conn: Connection) -> None:
    """The child process: runs one scope's relay, rebuilt after any failure, until told to stop or orphaned."""
    from infra import logging as logs

    logs.configure(settings.log_level, settings.log_json)
    stopping = threading.Event()
    go = threading.Event()
    relays: list[Any] = []
    pipe = _Pipe(conn)

    def stop(*_args: Any) -> None:
        stopping.set()
        go.set()
        for relay in list(relays):
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
    pause = _pause_once(settings.fault_relay_pause_file, stopping)
    failures = 0
    first = True
    while not stopping.is_set():
        started = time.monotonic()
        # The parent prepared the tables; the relay reads with one connection and reads ahead with another.
        container = Container(
            settings, endpoints, create_event_store=False, store_pool_size=2, store_pre_ping=False
        )
        try:
            name = container.relay_position_name(scope)
            with scope_lock(endpoints.database_url, name, stopping, lambda: pipe.send(("state", "standby", None))) as lock:
                if lock is None:
                    break

                def checkpoint(sent: int, lock: ScopeLock = lock) -> None:
                    # Still the scope's only publisher: else stop before recording anything.  A batch
                    # that sent nothing (a wake-up for other scopes' commits) checks once a second: a
                    # round trip per commit per idle relay was a tenth of the relays' CPU.
                    if sent or lock.due():
                        lock.check()
                    pause(sent)

                waiter = NotifyWaiter(endpoints.database_url, f"{container.event_store.name.lower()}_events")
                try:
                    relay = container.relay(
                        scope, wait_for_new=waiter, metrics=pipe, checkpoint=checkpoint,
                        message_max_bytes=settings.kafka_message_max_bytes,
                    )  # fmt: skip
                    relays.append(relay)
                    if stopping.is_set():
                        break
                    if first:
                        pipe.send(("ready", relay.stats.position))
                        go.wait()
                        first = False
                    pipe.send(("state", "running", None))
                    pipe.send(("progress", relay.stats.position, relay.stats.position))
                    if not stopping.is_set():
                        relay.run()
                finally:
                    waiter.close()
        except Exception as error:  # noqa: BLE001 - rebuilt after a pause, from the recorded position
            if stopping.is_set():
                break
            failures = 1 if time.monotonic() - started >= HEALTHY_AFTER_S else failures + 1
            pipe.send(("state", "retrying", describe(error)))
            if not transient(error):
                log.error("relay raised", scope=scope.name, exc_info=error)
            stopping.wait(TRANSIENT(attempt_state(failures)))
        finally:
            for relay in relays:
                log.info("relay stopped", scope=scope.name, position=relay.stats.position)
            relays.clear()
            _close(container, quickly=stopping.is_set())


def _close(container: Container, *, quickly: bool) -> None:
    """Closes the container; when stopping, gives unacknowledged messages a second, not ten."""
    producer = container._producer
    if producer is not None:
        producer.close(timeout=1 if quickly else 10)
    try:
        container.close()
    except Exception:  # noqa: BLE001 - a pool closing over a dead server may complain
        log.debug("container close failed", exc_info=True)


if __name__ == "__main__":
    _conn = Connection(int(sys.argv[1]))
    _settings, _endpoints, _scope = _conn.recv()
    child_main(_settings, _endpoints, _scope, _conn)
