"""Read model ``event_dates``: a parent event's dates as its sessions make them (spec §2.2).

``date_begin`` is the earliest start and ``date_end`` the latest end of the event's active sessions,
``session_count`` their number.  When no active session remains the dates keep their last values,
which depends on the order of changes; messages are keyed by the parent event, so that order is the
same live and in a rebuild, and it is replayed message by message here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from psycopg import Cursor

from producers.eventsessions import messages as v1
from producers.eventsessions import topics
from projections.base import Row
from projections.migrations import Migration

DATE_CHANGES = (
    v1.SessionScheduled,
    v1.SessionRescheduled,
    v1.SessionArchived,
    v1.SessionUnarchived,
    v1.SessionDeleted,
)


class EventDatesProjection:
    name = "event_dates"
    topics = (topics.SESSIONS,)
    tables = ("event_date_sessions", "event_dates")
    migrations = (
        Migration(
            "0001_create",
            """
    CREATE TABLE IF NOT EXISTS event_date_sessions (
        id uuid PRIMARY KEY,
        event_id uuid NOT NULL,
        date_begin timestamptz NOT NULL,
        date_end timestamptz NOT NULL,
        active boolean NOT NULL
    );
    CREATE INDEX IF NOT EXISTS event_date_sessions_event_idx ON event_date_sessions (event_id);
    CREATE TABLE IF NOT EXISTS event_dates (
        event_id uuid PRIMARY KEY,
        date_begin timestamptz,
        date_end timestamptz,
        session_count integer NOT NULL
    );
    """,
        ),
    )

    def apply(self, cur: Cursor[Any], messages: Sequence[v1.Message]) -> None:
        relevant = [m for m in messages if isinstance(m, DATE_CHANGES)]
        if not relevant:
            return
        event_ids = list({m.event_id for m in relevant})
        cur.execute(
            "SELECT id, event_id, date_begin, date_end, active FROM event_date_sessions WHERE event_id = ANY(%s)",
            (event_ids,),
        )
        sessions: dict[UUID, dict[UUID, Row]] = {e: {} for e in event_ids}
        for sid, eid, begin, end, active in cur.fetchall():
            sessions[eid][sid] = {"date_begin": begin, "date_end": end, "active": active}
        cur.execute(
            "SELECT event_id, date_begin, date_end, session_count FROM event_dates WHERE event_id = ANY(%s)",
            (event_ids,),
        )
        dates: dict[UUID, Row] = {
            eid: {"date_begin": b, "date_end": e, "session_count": c} for eid, b, e, c in cur.fetchall()
        }
        deleted: set[UUID] = set()
        for m in relevant:
            of_event = sessions[m.event_id]
            row = of_event.get(m.aggregate_id)
            match m:
                case v1.SessionScheduled():
                    of_event[m.aggregate_id] = {"date_begin": m.date_begin, "date_end": m.date_end, "active": True}
                    deleted.discard(m.aggregate_id)
                case v1.SessionRescheduled() if row:
                    row.update(date_begin=m.date_begin, date_end=m.date_end)
                case v1.SessionArchived() if row:
                    row["active"] = False
                case v1.SessionUnarchived() if row:
                    row["active"] = True
                case v1.SessionDeleted() if row:
                    del of_event[m.aggregate_id]
                    deleted.add(m.aggregate_id)
            dates[m.event_id] = _recompute(of_event, dates.get(m.event_id))
        if deleted:
            cur.execute("DELETE FROM event_date_sessions WHERE id = ANY(%s)", (list(deleted),))
        cur.executemany(
            "INSERT INTO event_date_sessions (id, event_id, date_begin, date_end, active) VALUES (%s, %s, %s, %s, %s)"
            " ON CONFLICT (id) DO UPDATE SET date_begin = EXCLUDED.date_begin, date_end = EXCLUDED.date_end,"
            " active = EXCLUDED.active",
            [
                (sid, eid, r["date_begin"], r["date_end"], r["active"])
                for eid, s in sessions.items()
                for sid, r in s.items()
            ],
        )
        cur.executemany(
            "INSERT INTO event_dates (event_id, date_begin, date_end, session_count) VALUES (%s, %s, %s, %s)"
            " ON CONFLICT (event_id) DO UPDATE SET date_begin = EXCLUDED.date_begin,"
            " date_end = EXCLUDED.date_end, session_count = EXCLUDED.session_count",
            [(eid, d["date_begin"], d["date_end"], d["session_count"]) for eid, d in dates.items()],
        )


def _recompute(sessions: dict[UUID, Row], previous: Row | None) -> Row:
    active = [s for s in sessions.values() if s["active"]]
    if not active:
        # Spec §6.7: with no active session left, the parent's dates keep their last values.
        last = previous or {"date_begin": None, "date_end": None}
        return {"date_begin": last["date_begin"], "date_end": last["date_end"], "session_count": 0}
    return {
        "date_begin": min(s["date_begin"] for s in active),
        "date_end": max(s["date_end"] for s in active),
        "session_count": len(active),
    }


def get_event_dates(cur: Cursor[Any], event_id: UUID) -> Row | None:
    cur.execute("SELECT date_begin, date_end, session_count FROM event_dates WHERE event_id = %s", (event_id,))
    row = cur.fetchone()
    return {"date_begin": row[0], "date_end": row[1], "session_count": row[2]} if row else None
