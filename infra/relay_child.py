"""A relay child process (``python -m infra.relay_child``): one scope's relay, rebuilt after any
failure, until the parent says stop or goes away.  See ``infra.relays`` for the protocol and the
supervision; this module is the child's side: the pipe, the scope's lock (``infra.postgres.advisory_lock``),
the test-only pause.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import structlog

from infra.child import Child, close_container, serve
from infra.container import Container, Endpoints
from infra.postgres import RELAY_LOCKS, AdvisoryLock, NotifyWaiter, advisory_lock
from infra.settings import Settings
from producers.relay import RelayStopped, Scope

log = structlog.get_logger(__name__)


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
        container = Container(settings, endpoints, create_event_store=False, store_pool_size=2, store_pre_ping=False)
        relay: Any = None
        try:
            name = container.relay_position_name(scope)
            with advisory_lock(endpoints.database_url, RELAY_LOCKS, name, child.stopping, child.standby) as lock:
                if lock is None:
                    return

                def checkpoint(sent: int, lock: AdvisoryLock = lock) -> None:
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
