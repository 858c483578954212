"""Jobs that read a read model and turn what is due into commands: the notification dispatcher and the
clean-up that ends finished sessions.  Each runs as a loop in the service and once from the CLI.

In the service, a tick that fails because PostgreSQL is away is tried again with backoff (its
``condition`` says ``retrying``, logged once); any other failure ends ``run()`` and the job's
supervisor restarts it (``consumers.supervisor``)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from psycopg import Cursor, sql
from psycopg_pool import ConnectionPool

from consumers.error_policy import TRANSIENT, transient
from consumers.supervisor import Condition, attempt_state


def read_model(pool: ConnectionPool, schema: str, query: Callable[[Cursor[Any]], Any]) -> Any:
    with pool.connection() as conn, conn.cursor() as cur:
        cur.execute(sql.SQL("SET LOCAL search_path TO {}").format(sql.Identifier(schema)))
        return query(cur)


class PeriodicJob:
    """Runs ``tick()`` every ``interval_s`` until ``stop()`` (see the module docstring)."""

    name = "job"

    def __init__(self, interval_s: float) -> None:
        self.interval_s = interval_s
        self._stop = threading.Event()
        self.failed: BaseException | None = None
        self.condition = Condition(self.name)

    def tick(self) -> Any:
        raise NotImplementedError

    def stop(self) -> None:
        self._stop.set()

    def run(self) -> None:
        attempt = 0
        self.condition.state = "running"
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception as error:
                self.failed = error
                if not transient(error):
                    raise
                attempt += 1
                self.condition.fail(error)
                self._stop.wait(TRANSIENT(attempt_state(attempt)))
                continue
            if attempt:
                attempt, self.failed = 0, None
                self.condition.ok()
            self._stop.wait(self.interval_s)
