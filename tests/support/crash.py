"""Killing a worker at a known point: a lock the worker needs there, held by the test.

A ``LockGate`` holds, in a transaction of its own, a lock that the worker takes at the point under
test (the projection's advisory lock at the start of a consumer batch; the row of a relay scope's
position when it records a published batch).  The worker blocks there; ``step()`` lets it through
exactly once (a second connection queues behind the worker, then the first lets go, and PostgreSQL
grants the waiters in order), after which it blocks at the same point of its next batch.  A kill while
``waiting()`` lands, provably, inside that batch.  (PostgreSQL notices the dead client of a waiting
backend only once it gets the lock: ``release()``, then the backend ends and its transaction rolls back.)
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
from typing import Any

import psycopg

from tests.support.waiting import wait_for


class LockGate:
    def __init__(self, database_url: str, statement: str, *params: Any) -> None:
        self.statement = statement
        self.params = params
        self.holder = psycopg.connect(database_url)
        self.spare = psycopg.connect(database_url)
        self.watcher = psycopg.connect(database_url, autocommit=True)
        self.ours = [c.info.backend_pid for c in (self.holder, self.spare, self.watcher)]

    def hold(self) -> None:
        self.holder.execute(self.statement, self.params)  # type: ignore[arg-type]  # the tests' own SQL

    def waiting(self) -> list[int]:
        """The backends (not ours) that wait for the lock the gate holds."""
        rows = self.watcher.execute(
            "SELECT pid FROM pg_stat_activity WHERE %s = ANY(pg_blocking_pids(pid)) AND pid <> ALL(%s)",
            (self.holder.info.backend_pid, self.ours),
        ).fetchall()
        return [r[0] for r in rows]

    def wait_for_worker(self, timeout: float = 60) -> list[int]:
        return wait_for(self.waiting, timeout=timeout, interval=0.01)

    def step(self) -> None:
        """Lets the waiting worker through once; returns when the gate holds the lock again."""
        self.wait_for_worker()
        spare_pid = self.spare.info.backend_pid
        queued = threading.Thread(target=lambda: self.spare.execute(self.statement, self.params), daemon=True)
        queued.start()
        blocked = "SELECT 1 FROM pg_stat_activity WHERE pid = %s AND cardinality(pg_blocking_pids(pid)) > 0"
        wait_for(lambda: self.watcher.execute(blocked, (spare_pid,)).fetchone(), interval=0.01)
        self.holder.commit()  # the worker, first in the queue, goes; then the spare connection holds the lock
        queued.join(60)
        assert not queued.is_alive(), "the gate did not get its lock back"
        self.holder, self.spare = self.spare, self.holder

    def release(self) -> None:
        """Lets go of the lock for good."""
        self.holder.rollback()

    def ended(self, pids: list[int]) -> bool:
        """None of ``pids`` (backends) is still connected."""
        row = self.watcher.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(%s)", (pids,)).fetchone()
        return row is not None and row[0] == 0

    def close(self) -> None:
        for conn in (self.holder, self.spare, self.watcher):
            conn.rollback()
            conn.close()


def kill_group(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL to the process and every child of it (it leads its own process group)."""
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)
