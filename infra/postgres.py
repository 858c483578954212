"""PostgreSQL wiring: the event store's environment and a connection pool for read models.

Both fail fast while PostgreSQL is unreachable, so a request answers 503 within about a second instead
of hanging (``Timeouts``): a pooled connection is waited for ``pool_s`` at most, a new one is connected
with libpq's ``connect_timeout``, statements have a ``statement_timeout``, and a pool that gave up
reconnecting (after ``reconnect_s``) tries afresh on the next demand, so the service recovers by itself
when the database returns.  eventsourcing retries every recorder call ten times, 0.2 s apart (about
ten pool timeouts in all); ``FailFastPostgresFactory`` keeps one retry, for a connection that died
between its check and its use.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import unquote, urlparse

import psycopg
from eventsourcing.application import Application
from eventsourcing.persistence import InterfaceError, OperationalError, StoredEvent
from eventsourcing.postgres import (
    PostgresAggregateRecorder,
    PostgresApplicationRecorder,
    PostgresFactory,
)
from eventsourcing.utils import Environment, EnvType, retry
from psycopg_pool import ConnectionPool

#: Environment keys of ``FailFastPostgresFactory`` (beside eventsourcing's own ``POSTGRES_*``).
POOL_TIMEOUT = "SESSIONSTREAM_POOL_TIMEOUT"
RECONNECT_TIMEOUT = "SESSIONSTREAM_RECONNECT_TIMEOUT"
LIBPQ_CONNECT_TIMEOUT = "SESSIONSTREAM_LIBPQ_CONNECT_TIMEOUT"
STATEMENT_TIMEOUT_MS = "SESSIONSTREAM_STATEMENT_TIMEOUT_MS"
RECORDER_ATTEMPTS = 2


@dataclass(frozen=True)
class Timeouts:
    """How long anything waits for PostgreSQL (``infra.settings``: ``SESSIONSTREAM_DB_*``)."""

    pool_s: float = 0.5  # a request, and the event store's pool
    worker_pool_s: float = 5.0  # the read models' pool by default: workers may wait longer than requests
    connect_s: int = 2
    reconnect_s: float = 5.0
    statement_ms: int = 30_000
    eventstore_statement_ms: int = 5_000
    eventstore_lock_s: int = 2

    @classmethod
    def of(cls, settings: Any) -> Timeouts:
        return cls(
            pool_s=settings.db_pool_timeout_s, worker_pool_s=settings.db_worker_pool_timeout_s,
            connect_s=settings.db_connect_timeout_s,
            reconnect_s=settings.db_reconnect_timeout_s, statement_ms=settings.db_statement_timeout_ms,
            eventstore_statement_ms=settings.eventstore_statement_timeout_ms,
            eventstore_lock_s=settings.eventstore_lock_timeout_s,
        )  # fmt: skip


def _fewer_attempts(method: Any) -> Any:
    """eventsourcing's recorder method with ``RECORDER_ATTEMPTS`` tries instead of ten."""
    return retry((InterfaceError, OperationalError), max_attempts=RECORDER_ATTEMPTS, wait=0.05)(method.__wrapped__)


class FailFastAggregateRecorder(PostgresAggregateRecorder):  # snapshots
    insert_events = _fewer_attempts(PostgresAggregateRecorder.insert_events)
    select_events = _fewer_attempts(PostgresAggregateRecorder.select_events)


#: Stored bytes from which a save leaves psycopg's pipeline mode.  eventsourcing sends a save's events as
#: one array parameter in a pipeline; from a few MB on, the pipeline's sending and receiving deadlock
#: (the server waits in ``ClientRead``, the client for a result; psycopg issue #685 describes the same
#: hang).  A session wizard run on an event with 15 mail schedulers (330 sessions, some 5,000 events)
#: hung forever, holding the events table's lock, so every other write waited too.  Below the threshold
#: the pipeline saves round trips; above it a save costs three round trips instead of one.
PIPELINE_MAX_BYTES = 256 * 1024


class FailFastApplicationRecorder(PostgresApplicationRecorder):
    @retry((InterfaceError, OperationalError), max_attempts=RECORDER_ATTEMPTS, wait=0.05)
    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        if self.datastore.enable_db_functions or sum(len(e.state) for e in stored_events) < PIPELINE_MAX_BYTES:
            return cast(Sequence[int] | None, _PIPELINED(self, stored_events, **kwargs))
        # eventsourcing's statements, in its order, without the pipeline.
        with self.datastore.get_connection() as conn, conn.transaction(), conn.cursor() as curs:
            self._insert_events(curs, stored_events, **kwargs)
            self._insert_stored_events(curs, stored_events, **kwargs)
            return self._fetch_ids_after_insert_events(curs, stored_events, **kwargs)

    select_events = _fewer_attempts(PostgresApplicationRecorder.select_events)
    select_notifications = _fewer_attempts(PostgresApplicationRecorder.select_notifications)
    max_notification_id = _fewer_attempts(PostgresApplicationRecorder.max_notification_id)


_PIPELINED = PostgresApplicationRecorder.insert_events.__wrapped__  # type: ignore[attr-defined]


class FailFastPostgresFactory(PostgresFactory):
    """eventsourcing's PostgreSQL factory, with the pool timeouts of ``Timeouts`` (its own settings take
    whole seconds and apply no libpq connect or statement timeout) and the recorders above."""

    aggregate_recorder_class = FailFastAggregateRecorder
    application_recorder_class = FailFastApplicationRecorder

    def __init__(self, env: Environment | EnvType | None) -> None:
        super().__init__(env)
        pool = self.datastore.pool
        pool.timeout = float(self.env.get(POOL_TIMEOUT) or Timeouts.pool_s)
        pool.reconnect_timeout = float(self.env.get(RECONNECT_TIMEOUT) or Timeouts.reconnect_s)
        assert isinstance(pool.kwargs, dict)  # eventsourcing passes a dict; filled in before the pool opens
        pool.kwargs.update(libpq_options(
            int(self.env.get(LIBPQ_CONNECT_TIMEOUT) or Timeouts.connect_s),
            int(self.env.get(STATEMENT_TIMEOUT_MS) or Timeouts.eventstore_statement_ms),
        ))  # fmt: skip


def events_table(app: Application) -> str:
    """The name of the events table of ``app``'s store: every recorder here is PostgreSQL's
    (``ApplicationRecorder``, the type eventsourcing gives, has no table)."""
    recorder = app.recorder
    assert isinstance(recorder, PostgresAggregateRecorder)
    return recorder.events_table_name


def libpq_options(connect_timeout_s: int, statement_timeout_ms: int) -> dict[str, Any]:
    """Connection parameters: libpq's connect timeout and the session's statement timeout."""
    return {"connect_timeout": connect_timeout_s, "options": f"-c statement_timeout={statement_timeout_ms}"}


def eventstore_env(
    database_url: str, *, pool_size: int = 10, create_table: bool = True, timeouts: Timeouts | None = None,
    pre_ping: bool = True,
) -> dict[str, str]:  # fmt: skip
    """The ``eventsourcing`` environment for a ``postgresql://`` URL (``create_table``: create the
    event store's tables if missing; processes started after the service prepared them need not;
    ``pre_ping``: check each connection before use, for callers that cannot just start over)."""
    url = urlparse(database_url)
    if url.scheme not in ("postgresql", "postgres"):
        raise ValueError("DATABASE_URL must be a postgresql:// URL")
    t = timeouts or Timeouts()
    return {
        "PERSISTENCE_MODULE": f"{__name__}:{FailFastPostgresFactory.__qualname__}",
        POOL_TIMEOUT: str(t.pool_s),
        RECONNECT_TIMEOUT: str(t.reconnect_s),
        LIBPQ_CONNECT_TIMEOUT: str(t.connect_s),
        STATEMENT_TIMEOUT_MS: str(t.eventstore_statement_ms),
        "POSTGRES_LOCK_TIMEOUT": str(t.eventstore_lock_s),
        "POSTGRES_DBNAME": unquote(url.path.lstrip("/")) or "postgres",
        "POSTGRES_HOST": url.hostname or "127.0.0.1",
        "POSTGRES_PORT": str(url.port or 5432),
        "POSTGRES_USER": unquote(url.username or "postgres"),
        "POSTGRES_PASSWORD": unquote(url.password or ""),
        "POSTGRES_POOL_SIZE": str(pool_size),
        "POSTGRES_MAX_OVERFLOW": str(pool_size),
        # Off on purpose: with it on, a tailing reader was seen to skip events (DESIGN.md).
        "POSTGRES_ENABLE_DB_FUNCTIONS": "n",
        "POSTGRES_PRE_PING": "y" if pre_ping else "n",
        "CREATE_TABLE": "y" if create_table else "n",
    }


def make_pool(
    database_url: str, *, min_size: int = 1, max_size: int = 10, name: str = "readmodels",
    timeouts: Timeouts | None = None,
) -> ConnectionPool:  # fmt: skip
    """The read models' pool: connections checked before use (one that died with the server is
    replaced, not handed out), and the fail-fast ``timeouts`` (a request asks for a connection with
    ``pool_s``, see ``infra.api.context.read``; workers wait up to ``worker_pool_s``)."""
    t = timeouts or Timeouts()
    pool = ConnectionPool(
        database_url, min_size=min_size, max_size=max_size, name=name, open=False,
        kwargs={"autocommit": False, **libpq_options(t.connect_s, t.statement_ms)},
        check=ConnectionPool.check_connection, timeout=t.worker_pool_s, reconnect_timeout=t.reconnect_s,
    )  # fmt: skip
    pool.open(wait=True, timeout=30)
    return pool


#: Seconds a woken ``NotifyWaiter`` lets further commits arrive before its owner reads the log.
NOTIFY_SETTLE_S = 0.01


class NotifyWaiter:
    """Waits for the event store's NOTIFY (sent in every insert transaction) instead of busy polling.

    Every commit notifies every listener (each relay process, the audit sealer), and each one then
    queries the log.  Under a stream of commits that is one query per listener per commit, so a woken
    waiter first lets ``settle`` seconds of further commits arrive and swallows their notifications:
    the owner's next read covers them all (a NOTIFY is delivered after its commit, so every commit
    swallowed here is visible to that read).  The lag grows by ``settle`` at most.
    """

    def __init__(self, database_url: str, channel: str, settle: float = NOTIFY_SETTLE_S) -> None:
        from psycopg import sql

        self._conn = psycopg.connect(database_url, autocommit=True)
        self._conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))
        self._settle = settle

    def __call__(self, timeout: float) -> None:
        woken = False
        for _ in self._conn.notifies(timeout=timeout, stop_after=1):
            woken = True
        if woken and self._settle > 0:
            time.sleep(self._settle)
            for _ in self._conn.notifies(timeout=0):
                pass  # already covered by the read that follows

    def close(self) -> None:
        self._conn.close()


#: The advisory-lock namespaces of the workers that must run once per log or scope, in one place so
#: that no two uses share one: the relay of a scope, the sealer of a log.
RELAY_LOCKS = "sessionstream.relay"
AUDIT_LOCKS = "sessionstream.audit"
#: How often a worker that holds its lock but has nothing to do checks that it still does.
LOCK_CHECK_S = 1.0


class AdvisoryLock:
    """A session advisory lock, on a connection of its own: held as long as that connection lives."""

    def __init__(self, conn: psycopg.Connection[Any], check_every_s: float = LOCK_CHECK_S) -> None:
        self.conn = conn
        self.check_every_s = check_every_s
        self.checked_at = time.monotonic()

    def check(self) -> None:
        """Raises ``psycopg.OperationalError`` if the lock's connection is gone (the lock with it)."""
        self.conn.execute("SELECT 1")
        self.checked_at = time.monotonic()

    def due(self) -> bool:
        """Whether a worker that checks now and then should check now (``check_every_s`` since the last)."""
        return time.monotonic() - self.checked_at >= self.check_every_s


@contextmanager
def advisory_lock(
    database_url: str, namespace: str, name: str, stopping: threading.Event,
    waiting: Callable[[], None] | None = None,
) -> Iterator[AdvisoryLock | None]:  # fmt: skip
    """Holds the advisory lock ``(namespace, name)``, trying every 0.5 s (``waiting`` is called once,
    when the first try fails); yields None if ``stopping`` is set while it waits."""
    # Keepalives both ways: a holder that vanishes without closing its socket loses the lock within
    # ~10 s (the server drops it), and a holder whose server vanished learns it as soon.
    with psycopg.connect(
        database_url, autocommit=True, connect_timeout=5, keepalives=1, keepalives_idle=5, keepalives_interval=2,
        keepalives_count=3,
    ) as conn:  # fmt: skip
        conn.execute("SET tcp_keepalives_idle = 5; SET tcp_keepalives_interval = 2; SET tcp_keepalives_count = 3")
        said = False
        while True:
            row = conn.execute("SELECT pg_try_advisory_lock(hashtext(%s), hashtext(%s))", (namespace, name)).fetchone()
            if row is not None and row[0]:
                break
            if not said and waiting is not None:
                waiting()
                said = True
            if stopping.wait(0.5):
                yield None
                return
        yield AdvisoryLock(conn)  # released when the connection closes
