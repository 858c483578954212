"""A large rebuild in two processes, each replaying half of the aggregates (``python -m infra.audit.parts``).

One replay (``infra.audit.rebuild.replay_into``) is bound by its interpreter: decoding and mapping hold
the interpreter lock most of the time, and a second core sits half idle.  A read model whose every table
is folded row by row from its own aggregate's messages (``per_aggregate``: registrations, attendance,
seat availability, ...) can be replayed in parts: aggregates split by their id, each part in log order,
and any interleaving of the parts gives the same rows (as any interleaving of Kafka partitions does for
the live consumer).  This process replays part 0 of 2 and a child process part 1, into the same schema;
both take the read model's lock per transaction, as a replay and the live consumer always have.

Both read up to the same last notification id, taken before either starts.  A child costs about two
seconds of start-up (the interpreter and the service's modules), so a replay is split only when the
read model's aggregates hold ``PARALLEL_FROM`` events or more (estimated from a sample of the log).
"""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
import traceback
from datetime import datetime
from multiprocessing.connection import Connection

from infra.audit.log import estimated_rows, prefixes
from infra.audit.rebuild import Progress, Rebuilt, check_schema, empty, replay_into
from infra.container import Container
from infra.settings import PROJECT_ROOT
from producers.catalogue import REGISTRY
from projections.base import Projection
from projections.catalogue import LIVE_SCHEMA, PROJECTIONS

#: The smallest window (in notifications) replayed in two processes.
PARALLEL_FROM = 200_000
#: The parent's half, the child's half.
PARTS = 2
#: Progress said at most this often by the child.
PROGRESS_EVERY_S = 0.25


def per_aggregate(projection: Projection) -> bool:
    """Whether ``projection`` may be replayed in parts (it says so: ``per_aggregate = True``)."""
    return bool(getattr(projection, "per_aggregate", False))


def replay(
    container: Container, projection: Projection, schema: str, *, until: datetime | None = None,
    progress: Progress | None = None,
) -> Rebuilt:  # fmt: skip
    """``replay_into`` from the log's start, in two processes when the read model and the window allow."""
    app, pool = container.event_store, container.pool
    horizon = int(app.recorder.max_notification_id() or 0)
    if (
        not per_aggregate(projection)
        or horizon < PARALLEL_FROM
        or estimated_rows(app, prefixes(REGISTRY, topics=projection.topics)) < PARALLEL_FROM
    ):
        return replay_into(app, pool, projection, schema, until=until, progress=progress)
    started = time.perf_counter()
    positions = [0] * PARTS
    lock = threading.Lock()

    def part_progress(part: int) -> Progress:
        # Events read since the last word, and how far both parts have come (the slower one's position).
        def said(read: int, position: int) -> None:
            with lock:
                positions[part] = position
                if progress:
                    progress(read, min(positions))

        return said

    child = PartProcess(container, projection.name, schema, until, horizon, part=1, progress=part_progress(1))
    child.start()
    try:
        mine = replay_into(
            app, pool, projection, schema, until=until, progress=part_progress(0), part=(0, PARTS), horizon=horizon
        )
        events, applied = child.result()
    except BaseException:
        child.end(timeout=0)
        raise
    child.end()
    return Rebuilt(horizon, mine.events + events, mine.applied + applied, time.perf_counter() - started)


def rebuild_as_of(
    container: Container, projection: Projection, until: datetime | None, schema: str,
    progress: Progress | None = None,
) -> Rebuilt:  # fmt: skip
    """``infra.audit.rebuild.rebuild_as_of``, in parts when it pays."""
    check_schema(schema)
    empty(container.pool, projection, schema)
    return replay(container, projection, schema, until=until, progress=progress)


def rebuild_live(container: Container, projection: Projection, progress: Progress | None = None) -> Rebuilt:
    """``infra.audit.rebuild.rebuild_live``, in parts when it pays."""
    empty(container.pool, projection, LIVE_SCHEMA)
    return replay(container, projection, LIVE_SCHEMA, progress=progress)


class PartProcess:
    """The child replaying one part: ``start``, then ``result()`` (its events and messages applied; raises
    what failed it), and ``end()`` (waits a moment for it to exit, then kills it).  Its progress reaches
    ``progress`` as it comes, from a thread of ours, while this process replays its own part."""

    def __init__(
        self, container: Container, name: str, schema: str, until: datetime | None, horizon: int, *, part: int,
        progress: Progress,
    ) -> None:  # fmt: skip
        self.payload = (container.settings, container.endpoints, name, schema, until, horizon, part)
        self.env = container.settings.child_env()
        self.progress = progress
        self._process: subprocess.Popen[bytes] | None = None
        self._conn: Connection | None = None
        self._listener: threading.Thread | None = None
        self._outcome: tuple[int, int] | BaseException | None = None

    def start(self) -> None:
        ours, theirs = socket.socketpair()
        self._process = subprocess.Popen(
            [sys.executable, "-m", __name__, str(theirs.fileno())], pass_fds=[theirs.fileno()], env=self.env,
            cwd=PROJECT_ROOT,
        )  # fmt: skip
        theirs.close()
        self._conn = Connection(ours.detach())
        self._conn.send(self.payload)
        self._listener = threading.Thread(target=self._listen, name=f"rebuild-part-{self.payload[-1]}", daemon=True)
        self._listener.start()

    def _listen(self) -> None:
        assert self._conn is not None and self._process is not None
        name = f"rebuild part {self.payload[-1]}"
        try:
            while True:
                message = self._conn.recv()
                if message[0] == "progress":
                    self.progress(message[1], message[2])
                elif message[0] == "done":
                    self._outcome = (int(message[1]), int(message[2]))
                    return
                else:
                    self._outcome = RuntimeError(f"{name}: {message[1]}")
                    return
        except (EOFError, OSError):
            self._outcome = RuntimeError(f"{name} ended with code {self._process.wait()}")
        except BaseException as error:  # noqa: BLE001 - a progress callback that failed: raised by result()
            self._outcome = error

    def result(self) -> tuple[int, int]:
        assert self._listener is not None
        self._listener.join()
        if isinstance(self._outcome, BaseException):
            raise self._outcome
        assert self._outcome is not None
        return self._outcome

    def end(self, timeout: float = 5.0) -> None:
        if self._process is not None:
            try:
                self._process.wait(timeout)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        if self._conn is not None:
            self._conn.close()
        if self._listener is not None:
            self._listener.join(5)


def child_main(fd: int) -> None:
    conn = Connection(fd)
    settings, endpoints, name, schema, until, horizon, part = conn.recv()
    container = Container(settings, endpoints)
    said = [0.0, 0]

    def progress(read: int, position: int) -> None:
        said[1] += read
        if time.monotonic() - said[0] >= PROGRESS_EVERY_S:
            conn.send(("progress", said[1], position))
            said[0], said[1] = time.monotonic(), 0

    try:
        done = replay_into(
            container.event_store, container.pool, PROJECTIONS[name], schema, until=until, progress=progress,
            part=(part, PARTS), horizon=horizon,
        )  # fmt: skip
        conn.send(("progress", said[1], horizon))
        conn.send(("done", done.events, done.applied))
    except BaseException as error:
        conn.send(("failed", "".join(traceback.format_exception_only(error)).strip()))
        raise
    finally:
        container.close()


if __name__ == "__main__":
    child_main(int(sys.argv[1]))
