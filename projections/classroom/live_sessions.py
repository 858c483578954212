"""Read model ``live_sessions``: the live session view (``GET /live-sessions/{id}``) and its reminders,
from ``classroom.live-sessions.v1``.

One row per session (its details, status and lifecycle instants, ``version`` = the session's latest
version, attendance events included, so ``min_version`` works for any command's answer) and one row
per reminder (``minutes``, ``due_at``, ``sent_at``), which the due query reads (``due``).

The meeting password is not here: it never travels on Kafka.  ``has_meeting_password`` says whether
there is one; the API reads it from the event store for the teacher and the active members (CL-18).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from psycopg import Cursor
from psycopg.types.json import Jsonb

from producers.classroom import messages as v1
from producers.classroom import topics
from projections.base import Row, fold
from projections.migrations import Migration

COLUMNS = (
    "id", "version", "classroom_id", "teacher_id", "title", "description", "scheduled_at", "duration_minutes",
    "timezone", "session_type", "status", "meeting_url", "meeting_id", "has_meeting_password", "materials",
    "recording_url", "created_at", "started_at", "completed_at", "cancelled_at",
)  # fmt: skip
REMINDER_COLUMNS = ("session_id", "minutes", "due_at", "sent_at")
#: What ``LiveSessionDetailsChanged`` may change, as named in its ``changed`` list.
DETAILS = (
    "title", "description", "duration_minutes", "timezone", "session_type", "meeting_url", "meeting_id",
    "materials", "recording_url",
)  # fmt: skip
REMINDER_MESSAGES = (
    v1.ReminderAdded,
    v1.ReminderRemoved,
    v1.ReminderSent,
    v1.ReminderRearmed,
    v1.LiveSessionRescheduled,
)


class LiveSessionsProjection:
    name = "live_sessions"
    topics = (topics.LIVE_SESSIONS,)
    tables = ("classroom_live_sessions", "classroom_live_session_reminders")
    migrations = (Migration("0001_create", """
    CREATE TABLE IF NOT EXISTS classroom_live_sessions (
        id uuid PRIMARY KEY,
        version integer NOT NULL,
        classroom_id uuid NOT NULL,
        teacher_id uuid NOT NULL,
        title text NOT NULL,
        description text NOT NULL,
        scheduled_at timestamptz NOT NULL,
        duration_minutes integer NOT NULL,
        timezone text NOT NULL,
        session_type text NOT NULL,
        status text NOT NULL,
        meeting_url text,
        meeting_id text,
        has_meeting_password boolean NOT NULL,
        materials jsonb NOT NULL,
        recording_url text,
        created_at timestamptz NOT NULL,
        started_at timestamptz,
        completed_at timestamptz,
        cancelled_at timestamptz
    );
    CREATE INDEX IF NOT EXISTS classroom_live_sessions_teacher_idx ON classroom_live_sessions (teacher_id, scheduled_at)
        WHERE status = 'scheduled';
    CREATE INDEX IF NOT EXISTS classroom_live_sessions_classroom_idx
        ON classroom_live_sessions (classroom_id, scheduled_at) WHERE status = 'scheduled';
    CREATE TABLE IF NOT EXISTS classroom_live_session_reminders (
        session_id uuid NOT NULL,
        minutes integer NOT NULL,
        due_at timestamptz NOT NULL,
        sent_at timestamptz,
        PRIMARY KEY (session_id, minutes)
    );
    CREATE INDEX IF NOT EXISTS classroom_live_session_reminders_unsent_idx
        ON classroom_live_session_reminders (due_at) WHERE sent_at IS NULL;
    """),)  # fmt: skip

    def apply(self, cur: Cursor[Any], messages: Sequence[v1.Message]) -> None:
        fold(cur, "classroom_live_sessions", "id", COLUMNS, messages, lambda m: m.aggregate_id, apply_message)
        apply_reminders(cur, [m for m in messages if isinstance(m, REMINDER_MESSAGES)])


def _jsonb(value: Any) -> Jsonb:
    return value if isinstance(value, Jsonb) else Jsonb(value)


def _materials(materials: list[v1.Material]) -> Jsonb:
    return Jsonb([m.model_dump(mode="json") for m in materials])


def apply_message(row: Row | None, m: Any) -> Row | None:
    """How one message changes a session's row (every message moves its ``version``)."""
    if isinstance(m, v1.LiveSessionScheduled):
        return {
            "id": m.aggregate_id, "version": m.version, "classroom_id": m.classroom_id, "teacher_id": m.teacher_id,
            "title": m.title, "description": m.description, "scheduled_at": m.scheduled_at,
            "duration_minutes": m.duration_minutes, "timezone": m.timezone, "session_type": m.session_type,
            "status": m.status, "meeting_url": m.meeting_url, "meeting_id": m.meeting_id,
            "has_meeting_password": m.has_meeting_password, "materials": _materials(m.materials),
            "recording_url": None, "created_at": m.created_at, "started_at": None, "completed_at": None,
            "cancelled_at": None,
        }  # fmt: skip
    if row is None:
        return None
    row = dict(row, version=m.version, materials=_jsonb(row["materials"]))
    match m:
        case v1.LiveSessionDetailsChanged():
            for field in DETAILS:
                if field in m.changed:
                    row[field] = _materials(m.materials or []) if field == "materials" else getattr(m, field)
            if "meeting_password" in m.changed:
                row["has_meeting_password"] = bool(m.has_meeting_password)
        case v1.LiveSessionRescheduled():
            row["scheduled_at"] = m.scheduled_at
        case v1.LiveSessionStarted():
            row.update(status=m.status, started_at=m.at)
        case v1.LiveSessionEnded():
            row.update(status=m.status, completed_at=m.at)
        case v1.LiveSessionCancelled():
            row.update(status=m.status, cancelled_at=m.at)
    return row


ReminderKey = tuple[UUID, int]


def apply_reminders(cur: Cursor[Any], messages: Sequence[Any]) -> None:
    """Loads the touched sessions' reminders, applies the messages in memory, writes each change once."""
    if not messages:
        return
    sessions = list({m.aggregate_id for m in messages})
    cur.execute(
        f"SELECT {', '.join(REMINDER_COLUMNS)} FROM classroom_live_session_reminders WHERE session_id = ANY(%s)",
        (sessions,),
    )
    rows: dict[ReminderKey, dict[str, Any] | None] = {
        (r[0], r[1]): dict(zip(REMINDER_COLUMNS, r, strict=True)) for r in cur.fetchall()
    }
    touched: set[ReminderKey] = set()
    for m in messages:
        for key, row in _reminder_changes(rows, m):
            rows[key] = row
            touched.add(key)
    gone = [key for key in touched if rows[key] is None]
    kept = [row for key in touched if (row := rows[key]) is not None]
    if gone:
        cur.executemany("DELETE FROM classroom_live_session_reminders WHERE session_id = %s AND minutes = %s", gone)
    if kept:
        cur.executemany(
            "INSERT INTO classroom_live_session_reminders (session_id, minutes, due_at, sent_at)"
            " VALUES (%(session_id)s, %(minutes)s, %(due_at)s, %(sent_at)s) ON CONFLICT (session_id, minutes)"
            " DO UPDATE SET due_at = EXCLUDED.due_at, sent_at = EXCLUDED.sent_at",
            kept,
        )


def _reminder_changes(rows: dict[ReminderKey, dict[str, Any] | None], m: Any) -> list[tuple[ReminderKey, Any]]:
    sid = m.aggregate_id
    match m:
        case v1.ReminderAdded():
            return [((sid, m.minutes), {"session_id": sid, "minutes": m.minutes, "due_at": m.due_at, "sent_at": None})]
        case v1.ReminderRemoved():
            return [((sid, m.minutes), None)]
        case v1.ReminderSent():
            return [((sid, m.minutes), dict(rows[(sid, m.minutes)] or {}, sent_at=m.sent_at))]
        case v1.ReminderRearmed():
            return [((sid, m.minutes), dict(rows[(sid, m.minutes)] or {}, due_at=m.due_at, sent_at=None))]
        case v1.LiveSessionRescheduled():
            return [((sid, r.minutes), dict(rows[(sid, r.minutes)] or {}, due_at=r.due_at))
                    for r in m.reminders if rows.get((sid, r.minutes)) is not None]  # fmt: skip
    return []


def get_live_session(cur: Cursor[Any], session_id: UUID) -> Row | None:
    """The session's row with its ``reminders`` (``minutes``, ``due_at``, ``sent_at``, by minutes)."""
    cur.execute(f"SELECT {', '.join(COLUMNS)} FROM classroom_live_sessions WHERE id = %s", (session_id,))
    found = cur.fetchone()
    if found is None:
        return None
    return with_reminders(cur, [dict(zip(COLUMNS, found, strict=True))])[0]


def with_reminders(cur: Cursor[Any], rows: list[Row]) -> list[Row]:
    cur.execute(
        "SELECT session_id, minutes, due_at, sent_at FROM classroom_live_session_reminders"
        " WHERE session_id = ANY(%s) ORDER BY session_id, minutes",
        ([r["id"] for r in rows],),
    )
    by_session: dict[UUID, list[dict[str, Any]]] = {r["id"]: [] for r in rows}
    for session_id, minutes, due_at, sent_at in cur.fetchall():
        by_session[session_id].append({"minutes": minutes, "due_at": due_at, "sent_at": sent_at})
    return [dict(r, reminders=by_session[r["id"]]) for r in rows]
