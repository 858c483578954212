"""A relay child process (``python -m infra.relay_child``): one scope's relay, rebuilt after any
failure, until the parent says stop or goes away.  See ``infra.relays`` for the protocol and the
supervision; this module is the child's side: the pipe, the scope's lock, the test-only pause.
"""

from __future__ import annotations

import os
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

from infra.child import Child, close_container, serve
from infra.container import Container, Endpoints
from infra.postgres import NotifyWaiter
from infra.settings import Settings
from producers.relay import RelayStopped, Scope

log = structlog.get_logger(__name__)

#: How often a relay that publishes nothing checks that it still holds its scope's lock.
IDLE_LOCK_CHECK_S = 1.0


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

    def attempt(child: Child) -> None:
        pause = _pause_once(settings.fault_relay_pause_file, child.stopping)  # the file says whether it did
        # The parent prepared the tables; the relay reads with one connection and reads ahead with another.
        container = Container(
            settings, endpoints, create_event_store=False, store_pool_size=2, store_pre_ping=False
        )
        relay: Any = None
        try:
            name = container.relay_position_name(scope)
            with scope_lock(endpoints.database_url, name, child.stopping, child.standby) as lock:
                if lock is None:
                    return

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
                        scope, wait_for_new=waiter, metrics=child.pipe, checkpoint=checkpoint,
                        message_max_bytes=settings.kafka_message_max_bytes,
                    )  # fmt: skip
                    child.stops.append(relay.stop)
                    if child.stopping.is_set():
                        return
                    child.started(relay.stats.position)
                    child.pipe.send(("progress", relay.stats.position, relay.stats.position))
                    if not child.stopping.is_set():
                        relay.run()
                finally:
                    waiter.close()
        finally:
            if relay is not None:
                log.info("relay stopped", scope=scope.name, position=relay.stats.position)
            close_container(container, quickly=child.stopping.is_set())

    serve(settings, conn, f"relay:{scope.name}", attempt)


if __name__ == "__main__":
    _conn = Connection(int(sys.argv[1]))
    _settings, _endpoints, _scope = _conn.recv()
    child_main(_settings, _endpoints, _scope, _conn)
