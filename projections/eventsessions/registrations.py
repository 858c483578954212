"""Read model ``registrations``: each registration with its state and session, for lists and
attendance (from ``eventsessions.registrations.v1``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from psycopg import Cursor

from producers.eventsessions import messages as v1
from producers.eventsessions import topics
from projections.base import Row, fold
from projections.migrations import Migration

COLUMNS = (
    "id",
    "version",
    "event_id",
    "session_id",
    "name",
    "email",
    "phone",
    "state",
    "created_at",
    "date_closed",
)


class RegistrationsProjection:
    name = "registrations"
    per_aggregate = True  # its one table is folded from each aggregate's own messages (infra.audit.parts)
    topics = (topics.REGISTRATIONS,)
    tables = ("registrations",)
    migrations = (
        Migration(
            "0001_create",
            """
    CREATE TABLE IF NOT EXISTS registrations (
        id uuid PRIMARY KEY,
        version integer NOT NULL,
        event_id uuid NOT NULL,
        session_id uuid,
        name text NOT NULL,
        email text NOT NULL,
        phone text,
        state text NOT NULL,
        created_at timestamptz NOT NULL,
        date_closed timestamptz
    );
    CREATE INDEX IF NOT EXISTS registrations_event_idx ON registrations (event_id, session_id, state);
    CREATE INDEX IF NOT EXISTS registrations_session_idx ON registrations (session_id, state);
    """,
        ),
    )

    def apply(self, cur: Cursor[Any], messages: Sequence[v1.Message]) -> None:
        fold(cur, "registrations", "id", COLUMNS, messages, lambda m: m.aggregate_id, apply_message)


def apply_message(row: Row | None, m: Any) -> Row | None:
    if isinstance(m, v1.RegistrationRegistered):
        return {
            "id": m.aggregate_id,
            "version": m.version,
            "event_id": m.event_id,
            "session_id": m.session_id,
            "name": m.name,
            "email": m.email,
            "phone": m.phone,
            "state": m.state,
            "created_at": m.created_at,
            "date_closed": m.date_closed,
        }
    if row is None:
        return None
    row = dict(row, version=m.version)
    match m:
        case v1.RegistrationStateChanged():
            row["state"] = m.to_state
            if m.date_closed is not None:
                row["date_closed"] = m.date_closed
        case v1.RegistrationMovedToSession():
            row["session_id"] = m.to_session_id
    return row


def get_registration(cur: Cursor[Any], registration_id: UUID) -> Row | None:
    cur.execute(f"SELECT {', '.join(COLUMNS)} FROM registrations WHERE id = %s", (registration_id,))
    row = cur.fetchone()
    return dict(zip(COLUMNS, row, strict=True)) if row else None


def list_registrations(
    cur: Cursor[Any],
    *,
    event_id: UUID | None = None,
    session_id: UUID | None = None,
    state: str | None = None,
    limit: int = 1000,
    offset: int = 0,
) -> list[Row]:
    cur.execute(
        f"SELECT {', '.join(COLUMNS)} FROM registrations"
        " WHERE (%(e)s::uuid IS NULL OR event_id = %(e)s) AND (%(s)s::uuid IS NULL OR session_id = %(s)s)"
        " AND (%(st)s::text IS NULL OR state = %(st)s) ORDER BY created_at, id LIMIT %(l)s OFFSET %(o)s",
        {"e": event_id, "s": session_id, "st": state, "l": limit, "o": offset},
    )
    return [dict(zip(COLUMNS, r, strict=True)) for r in cur.fetchall()]
