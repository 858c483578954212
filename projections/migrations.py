"""Schema migrations: ordered, recorded, run on start (``Container.prepare``) and by
``sessionstream db migrate``.

Every table the service owns belongs to a ``Component`` (a read model, the consumers' bookkeeping, the
inbound de-duplication, the relay's positions) with an ordered tuple of ``Migration``s.  Applying
them in a schema records each id in that schema's ``schema_migrations``; an id already recorded is
never run again, so adding a column to a live database is one more migration at the end of the
tuple.  Never edit or reorder a migration that has shipped: add a new one.  A scratch schema
(``projections verify``, an as-of rebuild) gets every migration of its read model from the start.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from psycopg import Cursor, sql


@dataclass(frozen=True)
class Migration:
    id: str  # unique within its component, sortable: "0001_create", "0002_add_column_x", ...
    sql: str


@dataclass(frozen=True)
class Component:
    name: str
    migrations: tuple[Migration, ...]


RECORD_DDL = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    component text NOT NULL,
    migration text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (component, migration)
)
"""


def migrate(cur: Cursor[Any], schema: str, components: Iterable[Component]) -> list[str]:
    """Applies every migration not yet recorded in ``schema`` (created if missing), in order, inside
    the caller's transaction and under an advisory lock (two instances starting at once take turns).
    Returns ``component:migration`` of those applied."""
    cur.execute("SELECT pg_advisory_xact_lock(hashtext('sessionstream.migrations'), hashtext(%s))", (schema,))
    cur.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
    cur.execute(sql.SQL("SET LOCAL search_path TO {}").format(sql.Identifier(schema)))
    cur.execute(RECORD_DDL)
    cur.execute("SELECT component, migration FROM schema_migrations")
    done = {(c, m) for c, m in cur.fetchall()}
    applied: list[str] = []
    for component in components:
        check_order(component.name, component.migrations)
        for migration in component.migrations:
            if (component.name, migration.id) in done:
                continue
            cur.execute(migration.sql.encode())  # our own constant SQL (bytes: psycopg types str as a literal)
            cur.execute(
                "INSERT INTO schema_migrations (component, migration) VALUES (%s, %s)", (component.name, migration.id)
            )
            applied.append(f"{component.name}:{migration.id}")
    return applied


def pending(cur: Cursor[Any], schema: str, components: Iterable[Component]) -> list[str]:
    """``component:migration`` of every migration not yet applied in ``schema``."""
    cur.execute("SELECT to_regclass(%s)", (f"{schema}.schema_migrations",))
    row = cur.fetchone()
    done: set[tuple[str, str]] = set()
    if row is not None and row[0] is not None:
        cur.execute(sql.SQL("SELECT component, migration FROM {}").format(sql.Identifier(schema, "schema_migrations")))
        done = {(c, m) for c, m in cur.fetchall()}
    return [f"{c.name}:{m.id}" for c in components for m in c.migrations if (c.name, m.id) not in done]


def check_order(name: str, migrations: Sequence[Migration]) -> None:
    ids = [m.id for m in migrations]
    if ids != sorted(ids) or len(set(ids)) != len(ids):
        raise ValueError(f"migrations of {name} must have unique ids in ascending order: {ids}")
