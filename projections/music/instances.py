"""Read model ``music_instances``: every instance of every session, with its date, times and the
``is_active`` flag the active-window passes maintain (from ``music.instances.v1``).

A deleted instance keeps its row, marked ``deleted``, so the table equals a rebuild; queries skip it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any
from uuid import UUID

from psycopg import Cursor

from producers.music import messages as v1
from producers.music import topics
from projections.base import Row, fold
from projections.migrations import Migration

COLUMNS = (
    "id", "version", "session_id", "date", "start_time", "end_time", "location_override", "comments",
    "is_cancelled", "is_active", "log_complete_date", "created_by", "auto_created", "created_at", "deleted",
)  # fmt: skip


class InstancesProjection:
    name = "music_instances"
    per_aggregate = True  # its one table is folded from each aggregate's own messages (infra.audit.parts)
    topics = (topics.INSTANCES,)
    tables = ("music_instances",)
    migrations = (
        Migration(
            "0001_create",
            """
    CREATE TABLE IF NOT EXISTS music_instances (
        id uuid PRIMARY KEY,
        version integer NOT NULL,
        session_id uuid NOT NULL,
        date date NOT NULL,
        start_time text,
        end_time text,
        location_override text,
        comments text,
        is_cancelled boolean NOT NULL,
        is_active boolean NOT NULL,
        log_complete_date timestamptz,
        created_by text,
        auto_created boolean NOT NULL,
        created_at timestamptz NOT NULL,
        deleted boolean NOT NULL
    );
    CREATE INDEX IF NOT EXISTS music_instances_session_idx ON music_instances (session_id, date);
    CREATE INDEX IF NOT EXISTS music_instances_active_idx ON music_instances (session_id) WHERE is_active;
    """,
        ),
    )

    def apply(self, cur: Cursor[Any], messages: Sequence[v1.Message]) -> None:
        fold(cur, "music_instances", "id", COLUMNS, messages, lambda m: m.aggregate_id, apply_message)


def apply_message(row: Row | None, m: Any) -> Row | None:
    if isinstance(m, v1.InstanceCreated):
        return {
            "id": m.aggregate_id, "version": m.version, "session_id": m.session_id, "date": m.date,
            "start_time": m.start_time, "end_time": m.end_time, "location_override": m.location_override,
            "comments": m.comments, "is_cancelled": False, "is_active": False, "log_complete_date": None,
            "created_by": m.created_by, "auto_created": m.auto_created, "created_at": m.created_at, "deleted": False,
        }  # fmt: skip
    if row is None:
        return None  # a gap before the creation: nothing to attach the change to
    row = dict(row, version=m.version)
    match m:
        case v1.InstanceRescheduled():
            row.update(date=m.date, start_time=m.start_time, end_time=m.end_time)
        case v1.InstanceDetailsChanged():
            row.update(location_override=m.location_override, comments=m.comments)
        case v1.InstanceCancelled() | v1.InstanceUncancelled():
            row["is_cancelled"] = isinstance(m, v1.InstanceCancelled)
        case v1.InstanceActivated() | v1.InstanceDeactivated():
            row["is_active"] = isinstance(m, v1.InstanceActivated)
        case v1.InstanceLogMarkedComplete():
            row["log_complete_date"] = m.at
        case v1.InstanceLogReopened():
            row["log_complete_date"] = None
        case v1.InstanceDeleted():
            row.update(deleted=True, is_active=False)
    return row


def get_instance(cur: Cursor[Any], instance_id: UUID) -> Row | None:
    cur.execute(f"SELECT {', '.join(COLUMNS)} FROM music_instances WHERE id = %s AND NOT deleted", (instance_id,))
    found = cur.fetchone()
    return dict(zip(COLUMNS, found, strict=True)) if found else None


def list_instances(
    cur: Cursor[Any], session_id: UUID, start: date | None = None, end: date | None = None, *, active_only: bool = False
) -> list[Row]:
    """The session's instances with a local date in ``start..end`` (inclusive; open ends allowed), by date
    then start time (time-less first) then id."""
    cur.execute(
        f"SELECT {', '.join(COLUMNS)} FROM music_instances WHERE session_id = %(s)s AND NOT deleted"
        " AND (%(a)s::date IS NULL OR date >= %(a)s) AND (%(b)s::date IS NULL OR date <= %(b)s)"
        " AND (NOT %(active)s OR is_active)"
        " ORDER BY date, start_time NULLS FIRST, id",
        {"s": session_id, "a": start, "b": end, "active": active_only},
    )
    return [dict(zip(COLUMNS, r, strict=True)) for r in cur.fetchall()]
