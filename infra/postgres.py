"""PostgreSQL wiring: the event store's environment and a connection pool for read models."""

from __future__ import annotations

from urllib.parse import unquote, urlparse

from psycopg_pool import ConnectionPool


def eventstore_env(database_url: str, *, pool_size: int = 10, create_table: bool = True) -> dict[str, str]:
    """The ``eventsourcing`` environment for a ``postgresql://`` URL (``create_table``: create the
    event store's tables if missing; processes started after the service prepared them need not)."""
    url = urlparse(database_url)
    if url.scheme not in ("postgresql", "postgres"):
        raise ValueError("DATABASE_URL must be a postgresql:// URL")
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": unquote(url.path.lstrip("/")) or "postgres",
        "POSTGRES_HOST": url.hostname or "127.0.0.1",
        "POSTGRES_PORT": str(url.port or 5432),
        "POSTGRES_USER": unquote(url.username or "postgres"),
        "POSTGRES_PASSWORD": unquote(url.password or ""),
        "POSTGRES_POOL_SIZE": str(pool_size),
        "POSTGRES_MAX_OVERFLOW": str(pool_size),
        # Off on purpose: with it on, a tailing reader was seen to skip events (DESIGN.md).
        "POSTGRES_ENABLE_DB_FUNCTIONS": "n",
        "POSTGRES_PRE_PING": "y",
        "CREATE_TABLE": "y" if create_table else "n",
    }


def make_pool(database_url: str, *, min_size: int = 1, max_size: int = 10, name: str = "readmodels") -> ConnectionPool:
    pool = ConnectionPool(
        database_url, min_size=min_size, max_size=max_size, name=name, open=False,
        kwargs={"autocommit": False},
    )  # fmt: skip
    pool.open(wait=True, timeout=30)
    return pool


class NotifyWaiter:
    """Waits for the event store's NOTIFY (sent in every insert transaction) instead of busy polling."""

    def __init__(self, database_url: str, channel: str) -> None:
        import psycopg
        from psycopg import sql

        self._conn = psycopg.connect(database_url, autocommit=True)
        self._conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))

    def __call__(self, timeout: float) -> None:
        for _ in self._conn.notifies(timeout=timeout, stop_after=1):
            break

    def close(self) -> None:
        self._conn.close()

