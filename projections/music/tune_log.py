"""Read model ``music_tune_log``: each instance's tune log, one row per live entry (from
``music.instances.v1``), plus one row per instance (its session and version).

``set_index`` is not stored: it is the number of set starts before an entry, counted by the query, so a
move or a renumbering rewrites no other row's set index.  A batch loads the logs it touches, applies
its messages to them in memory (``log_state``) and writes each touched log back once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from psycopg import Cursor

from producers.music import messages as v1
from producers.music import topics
from projections.base import Row, fold
from projections.migrations import Migration
from projections.music.log_state import TUNE_MESSAGES, Log, apply_to_log

LOG_COLUMNS = ("instance_id", "version", "session_id", "deleted")
ENTRY_COLUMNS = (
    "entry_id", "order_number", "continues_set", "tune_id", "name", "key_override", "setting_override",
    "played_timestamp", "inserted_at",
)  # fmt: skip


class TuneLogProjection:
    name = "music_tune_log"
    topics = (topics.INSTANCES,)
    tables = ("music_tune_logs", "music_tune_entries")
    migrations = (
        Migration(
            "0001_create",
            """
    CREATE TABLE IF NOT EXISTS music_tune_logs (
        instance_id uuid PRIMARY KEY,
        version integer NOT NULL,
        session_id uuid NOT NULL,
        deleted boolean NOT NULL
    );
    CREATE TABLE IF NOT EXISTS music_tune_entries (
        entry_id uuid PRIMARY KEY,
        instance_id uuid NOT NULL,
        order_number integer NOT NULL,
        continues_set boolean NOT NULL,
        tune_id integer,
        name text,
        key_override text,
        setting_override integer,
        played_timestamp timestamptz,
        inserted_at timestamptz NOT NULL
    );
    CREATE INDEX IF NOT EXISTS music_tune_entries_instance_idx ON music_tune_entries (instance_id, order_number);
    """,
        ),
    )

    def apply(self, cur: Cursor[Any], messages: Sequence[v1.Message]) -> None:
        fold(cur, "music_tune_logs", "instance_id", LOG_COLUMNS, messages, lambda m: m.aggregate_id, _apply_log)
        changes = [m for m in messages if isinstance(m, (*TUNE_MESSAGES, v1.InstanceDeleted))]
        if not changes:
            return
        ids = list({m.aggregate_id for m in changes})
        logs = load_logs(cur, ids)
        for m in changes:
            log = logs.setdefault(m.aggregate_id, {})
            if isinstance(m, v1.InstanceDeleted):
                log.clear()  # a deleted instance's log is gone with it
            else:
                apply_to_log(log, m)
        cur.execute("DELETE FROM music_tune_entries WHERE instance_id = ANY(%s)", (ids,))
        rows = [
            (instance_id, *(e[c] for c in ENTRY_COLUMNS)) for instance_id, log in logs.items() for e in log.values()
        ]
        if rows:
            placeholders = ", ".join(["%s"] * (len(ENTRY_COLUMNS) + 1))
            cur.executemany(
                f"INSERT INTO music_tune_entries (instance_id, {', '.join(ENTRY_COLUMNS)}) VALUES ({placeholders})",
                rows,
            )


def _apply_log(row: Row | None, m: Any) -> Row | None:
    if isinstance(m, v1.InstanceCreated):
        return {"instance_id": m.aggregate_id, "version": m.version, "session_id": m.session_id, "deleted": False}
    if row is None:
        return None
    return dict(row, version=m.version, deleted=row["deleted"] or isinstance(m, v1.InstanceDeleted))


def load_logs(cur: Cursor[Any], instance_ids: list[UUID]) -> dict[UUID, Log]:
    cur.execute(
        f"SELECT instance_id, {', '.join(ENTRY_COLUMNS)} FROM music_tune_entries WHERE instance_id = ANY(%s)",
        (instance_ids,),
    )
    logs: dict[UUID, Log] = {}
    for instance_id, *values in cur.fetchall():
        entry = dict(zip(ENTRY_COLUMNS, values, strict=True))
        logs.setdefault(instance_id, {})[entry["entry_id"]] = entry
    return logs


def get_log(cur: Cursor[Any], instance_id: UUID) -> Row | None:
    """The instance's row (session, version), None when unknown or deleted."""
    cur.execute(
        f"SELECT {', '.join(LOG_COLUMNS)} FROM music_tune_logs WHERE instance_id = %s AND NOT deleted", (instance_id,)
    )
    found = cur.fetchone()
    return dict(zip(LOG_COLUMNS, found, strict=True)) if found else None


def tune_log(cur: Cursor[Any], instance_id: UUID) -> list[Row]:
    """The entries in order, each with its ``set_index`` (0 for the first set, MU-33)."""
    cur.execute(
        f"SELECT {', '.join(ENTRY_COLUMNS)},"
        " (count(*) FILTER (WHERE NOT continues_set) OVER (ORDER BY order_number)) - 1 AS set_index"
        " FROM music_tune_entries WHERE instance_id = %s ORDER BY order_number",
        (instance_id,),
    )
    return [dict(zip((*ENTRY_COLUMNS, "set_index"), r, strict=True)) for r in cur.fetchall()]
