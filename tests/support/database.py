"""The database of a test container."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg import sql

from infra.container import Container


def create_database(server_url: str, name: str) -> str:
    """A new, empty database ``name`` on the server of ``server_url``; returns its URL."""
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return server_url.rsplit("/", 1)[0] + "/" + name


def read_row(container: Container, query: str, *params: Any) -> Any:
    """The first row of ``query`` on the container's database (None when there is none)."""
    with container.pool.connection() as conn:
        return conn.execute(query, params).fetchone()  # type: ignore[arg-type]  # the tests' own SQL


def read_rows(container: Container, query: str, *params: Any) -> list[Any]:
    with container.pool.connection() as conn:
        return conn.execute(query, params).fetchall()  # type: ignore[arg-type]
