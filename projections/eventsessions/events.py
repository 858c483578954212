"""Read model ``events``: each parent event as a dashboard shows it (from ``eventsessions.events.v1``).

For an event without sessions it also holds the event's own seat ledger; an event with sessions gets
its totals from ``seat_availability`` and its dates from ``event_dates`` at query time.
"""

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
    "name",
    "date_tz",
    "use_sessions",
    "seats_limited",
    "seats_max",
    "auto_confirm",
    "event_type_id",
    "date_begin",
    "date_end",
    "stage_id",
    "created_at",
    "seats_unconfirmed",
    "seats_reserved",
    "seats_used",
)


class EventsProjection:
    name = "events"
    per_aggregate = True  # its one table is folded from each aggregate's own messages (infra.audit.parts)
    topics = (topics.EVENTS,)
    tables = ("events",)
    migrations = (
        Migration(
            "0001_create",
            """
    CREATE TABLE IF NOT EXISTS events (
        id uuid PRIMARY KEY,
        version integer NOT NULL,
        name text NOT NULL,
        date_tz text NOT NULL,
        use_sessions boolean NOT NULL,
        seats_limited boolean NOT NULL,
        seats_max integer NOT NULL,
        auto_confirm boolean NOT NULL,
        event_type_id uuid,
        date_begin timestamptz NOT NULL,
        date_end timestamptz NOT NULL,
        stage_id integer NOT NULL,
        created_at timestamptz NOT NULL,
        seats_unconfirmed integer NOT NULL,
        seats_reserved integer NOT NULL,
        seats_used integer NOT NULL
    );
    """,
        ),
    )

    def apply(self, cur: Cursor[Any], messages: Sequence[v1.Message]) -> None:
        fold(cur, "events", "id", COLUMNS, messages, lambda m: m.aggregate_id, _apply)


def _apply(row: Row | None, m: Any) -> Row | None:
    if isinstance(m, v1.EventCreated):
        return {
            "id": m.aggregate_id,
            "version": m.version,
            "name": m.name,
            "date_tz": m.date_tz,
            "use_sessions": m.use_sessions,
            "seats_limited": m.seats_limited,
            "seats_max": m.seats_max,
            "auto_confirm": m.auto_confirm,
            "event_type_id": m.event_type_id,
            "date_begin": m.date_begin,
            "date_end": m.date_end,
            "stage_id": m.stage_id,
            "created_at": m.created_at,
            "seats_unconfirmed": 0,
            "seats_reserved": 0,
            "seats_used": 0,
        }
    if row is None:
        return None  # a gap before the creation: nothing to attach the change to
    row = dict(row, version=m.version)
    match m:
        case v1.EventDetailsChanged():
            for field in m.changed:
                row[field] = getattr(m, field)
        case v1.EventCapacityChanged():
            row.update(seats_limited=m.seats_limited, seats_max=m.seats_max)
        case v1.EventUseSessionsToggled():
            row["use_sessions"] = m.use_sessions
        case v1.EventSeatsChanged():
            row.update(seats_unconfirmed=m.seats_unconfirmed, seats_reserved=m.seats_reserved, seats_used=m.seats_used)
    return row


def get_event(cur: Cursor[Any], event_id: UUID) -> Row | None:
    cur.execute(f"SELECT {', '.join(COLUMNS)} FROM events WHERE id = %s", (event_id,))
    row = cur.fetchone()
    return dict(zip(COLUMNS, row, strict=True)) if row else None
