"""Read model ``attendance``: each session's attendee list, by state (Odoo's "Attendees" of a session,
spec §6.10), from ``eventsessions.registrations.v1``.

One row per registration, keyed by it, so a move to another session moves the row; ``attendees``
groups a session's rows by state with their counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from psycopg import Cursor

from domain.eventsessions.seats import RegistrationState
from producers.eventsessions import messages as v1
from producers.eventsessions import topics
from projections.base import Row, fold
from projections.eventsessions.registrations import apply_message as apply_registration
from projections.migrations import Migration

COLUMNS = ("id", "version", "event_id", "session_id", "name", "email", "state", "created_at", "date_closed")


class AttendanceProjection:
    name = "attendance"
    per_aggregate = True  # its one table is folded from each aggregate's own messages (infra.audit.parts)
    topics = (topics.REGISTRATIONS,)
    tables = ("session_attendance",)
    migrations = (
        Migration(
            "0001_create",
            """
    CREATE TABLE IF NOT EXISTS session_attendance (
        id uuid PRIMARY KEY,
        version integer NOT NULL,
        event_id uuid NOT NULL,
        session_id uuid,
        name text NOT NULL,
        email text NOT NULL,
        state text NOT NULL,
        created_at timestamptz NOT NULL,
        date_closed timestamptz
    );
    CREATE INDEX IF NOT EXISTS session_attendance_idx ON session_attendance (session_id, state, created_at);
    """,
        ),
    )

    def apply(self, cur: Cursor[Any], messages: Sequence[v1.Message]) -> None:
        # The same fold as ``registrations`` (one definition of how a registration changes), fewer columns.
        fold(cur, "session_attendance", "id", COLUMNS, messages, lambda m: m.aggregate_id, _apply)


def _apply(row: Row | None, m: Any) -> Row | None:
    new = apply_registration(row, m)
    return None if new is None else {k: new[k] for k in COLUMNS}


def attendees(cur: Cursor[Any], session_id: UUID) -> dict[str, Any]:
    """``{"counts": {state: n}, "attendees": {state: [rows]}}`` for one session, every state present."""
    cur.execute(
        f"SELECT {', '.join(COLUMNS)} FROM session_attendance WHERE session_id = %s ORDER BY created_at, id",
        (session_id,),
    )
    by_state: dict[str, list[Row]] = {s.value: [] for s in RegistrationState}
    for r in cur.fetchall():
        row = dict(zip(COLUMNS, r, strict=True))
        by_state[row["state"]].append(row)
    return {"counts": {k: len(v) for k, v in by_state.items()}, "attendees": by_state}
