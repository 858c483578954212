"""Read model ``seat_availability``: every session with its seat figures (spec §3.1) and the fields
its open / sold-out flags need (§3.3), from ``eventsessions.sessions.v1``.

Figures that depend on "now" (``is_ongoing``, ``event_registrations_open``) are computed when a
query is served, by ``figures``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg import Cursor

from domain.eventsessions.seats import SeatCounts
from producers.eventsessions import messages as v1
from producers.eventsessions import topics
from projections.base import Row, fold
from projections.migrations import Migration

COLUMNS = (
    "id",
    "event_id",
    "version",
    "date_begin",
    "date_end",
    "active",
    "deleted",
    "stage_id",
    "kanban_state",
    "seats_limited",
    "seats_max",
    "seats_unconfirmed",
    "seats_reserved",
    "seats_used",
    "created_at",
)


class SeatAvailabilityProjection:
    name = "seat_availability"
    per_aggregate = True  # its one table is folded from each aggregate's own messages (infra.audit.parts)
    topics = (topics.SESSIONS,)
    tables = ("session_seats",)
    migrations = (
        Migration(
            "0001_create",
            """
    CREATE TABLE IF NOT EXISTS session_seats (
        id uuid PRIMARY KEY,
        event_id uuid NOT NULL,
        version integer NOT NULL,
        date_begin timestamptz NOT NULL,
        date_end timestamptz NOT NULL,
        active boolean NOT NULL,
        deleted boolean NOT NULL,
        stage_id integer NOT NULL,
        kanban_state text NOT NULL,
        seats_limited boolean NOT NULL,
        seats_max integer NOT NULL,
        seats_unconfirmed integer NOT NULL,
        seats_reserved integer NOT NULL,
        seats_used integer NOT NULL,
        created_at timestamptz NOT NULL
    );
    CREATE INDEX IF NOT EXISTS session_seats_event_idx ON session_seats (event_id, date_begin);
    """,
        ),
    )

    def apply(self, cur: Cursor[Any], messages: Sequence[v1.Message]) -> None:
        fold(cur, "session_seats", "id", COLUMNS, messages, lambda m: m.aggregate_id, _apply)


def _apply(row: Row | None, m: Any) -> Row | None:
    if isinstance(m, v1.SessionScheduled):
        return {
            "id": m.aggregate_id,
            "event_id": m.event_id,
            "version": m.version,
            "date_begin": m.date_begin,
            "date_end": m.date_end,
            "active": True,
            "deleted": False,
            "stage_id": m.stage_id,
            "kanban_state": m.kanban_state,
            "seats_limited": m.seats_limited,
            "seats_max": m.seats_max,
            "seats_unconfirmed": 0,
            "seats_reserved": 0,
            "seats_used": 0,
            "created_at": m.created_at,
        }
    if row is None:
        return None
    row = dict(row, version=m.version)
    match m:
        case v1.SessionRescheduled():
            row.update(date_begin=m.date_begin, date_end=m.date_end)
        case v1.SessionArchived():
            row["active"] = False
        case v1.SessionUnarchived():
            row["active"] = True
        case v1.SessionDeleted():
            row.update(deleted=True, active=False)
        case v1.SessionStageChanged():
            row["stage_id"] = m.stage_id
        case v1.SessionKanbanStateChanged():
            row["kanban_state"] = m.kanban_state
        case v1.SessionCapacityChanged():
            row.update(seats_limited=m.seats_limited, seats_max=m.seats_max)
        case v1.SessionSeatsChanged():
            row.update(seats_unconfirmed=m.seats_unconfirmed, seats_reserved=m.seats_reserved, seats_used=m.seats_used)
    return row


def figures(row: Row, now: datetime) -> dict[str, Any]:
    """Spec §3.1 and §3.3 for one session row, as of ``now``."""
    seats = SeatCounts(
        row["seats_limited"], row["seats_max"], row["seats_unconfirmed"], row["seats_reserved"], row["seats_used"]
    )
    # No tickets exist in this system, so registrations have always "started" (§3.3).
    return {
        "seats_max": seats.seats_max,
        "seats_limited": seats.seats_limited,
        "seats_unconfirmed": seats.seats_unconfirmed,
        "seats_reserved": seats.seats_reserved,
        "seats_used": seats.seats_used,
        "seats_available": seats.seats_available,
        "seats_expected": seats.seats_expected,
        "seats_available_unexpected": seats.seats_max - seats.seats_expected,
        "event_registrations_open": (row["date_end"] >= now)
        and (not seats.seats_limited or seats.seats_max == 0 or seats.seats_available != 0),
        "event_registrations_sold_out": seats.seats_limited and seats.seats_max != 0 and seats.seats_available == 0,
    }


def get_session(cur: Cursor[Any], session_id: UUID) -> Row | None:
    cur.execute(f"SELECT {', '.join(COLUMNS)} FROM session_seats WHERE id = %s AND NOT deleted", (session_id,))
    row = cur.fetchone()
    return dict(zip(COLUMNS, row, strict=True)) if row else None


def list_sessions(cur: Cursor[Any], event_id: UUID, *, include_archived: bool = False) -> list[Row]:
    cur.execute(
        f"SELECT {', '.join(COLUMNS)} FROM session_seats WHERE event_id = %s AND NOT deleted"
        " AND (active OR %s) ORDER BY date_begin, id",
        (event_id, include_archived),
    )
    return [dict(zip(COLUMNS, r, strict=True)) for r in cur.fetchall()]


def event_totals(cur: Cursor[Any], event_id: UUID) -> dict[str, int]:
    """Spec §3.2: the event's counts over all its sessions' registrations."""
    cur.execute(
        "SELECT coalesce(sum(seats_unconfirmed), 0), coalesce(sum(seats_reserved), 0),"
        " coalesce(sum(seats_used), 0) FROM session_seats WHERE event_id = %s AND NOT deleted",
        (event_id,),
    )
    unconfirmed, reserved, used = cur.fetchone()  # type: ignore[misc]
    return {"seats_unconfirmed": int(unconfirmed), "seats_reserved": int(reserved), "seats_used": int(used)}
