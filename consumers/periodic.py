"""Jobs that read a read model and turn what is due into commands: the notification dispatcher and the
clean-up that ends finished sessions.  Each runs as a loop in the service and once from the CLI."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from psycopg import Cursor, sql
from psycopg_pool import ConnectionPool

log = logging.getLogger(__name__)


def read_model(pool: ConnectionPool, schema: str, query: Callable[[Cursor[Any]], Any]) -> Any:
    with pool.connection() as conn, conn.cursor() as cur:
        cur.execute(sql.SQL("SET LOCAL search_path TO {}").format(sql.Identifier(schema)))
        return query(cur)


class PeriodicJob:
    """Runs ``tick()`` every ``interval_s`` until ``stop()``; a failing tick is logged and retried."""

    name = "job"

    def __init__(self, interval_s: float) -> None:
        self.interval_s = interval_s
        self._stop = threading.Event()
        self.failed: BaseException | None = None

    def tick(self) -> Any:
        raise NotImplementedError

    def stop(self) -> None:
        self._stop.set()

    def run(self) -> None:
        while not self._stop.is_set():
            try:
                self.tick()
                self.failed = None
            except Exception as error:  # noqa: BLE001 - a database blip must not end the job
                self.failed = error
                log.exception("periodic job failed; retrying", extra={"job": self.name})
            self._stop.wait(self.interval_s)
