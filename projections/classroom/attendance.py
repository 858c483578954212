"""Read model ``classroom_attendance``: the attendance report of each live session (B.6.2), from
``classroom.live-sessions.v1``.

One header row per session (title, classroom, teacher, status, ``version``) and one row per student
record.  Attendance messages carry the record after the event (``StudentJoined`` / ``StudentLeft``:
status, first join, latest leave, minutes, connected), or only its new status (registered, absent,
excused), so a batch of 5,000 joins is 5,000 rows written once each, never a replay of marks.

The report joins ``classroom_memberships`` when it is read: ``total_enrolled`` counts the classroom's
active members now, and every active member without a record appears with no status (CL-17).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from psycopg import Cursor

from producers.classroom import messages as v1
from producers.classroom import topics
from projections.base import Row, fold
from projections.migrations import Migration

HEADER_COLUMNS = ("id", "version", "classroom_id", "teacher_id", "title", "status", "completed_at")
RECORD_COLUMNS = ("student_id", "status", "joined_at", "left_at", "duration_minutes", "connected")
ATTENDED = "attended"
STATUSES = ("registered", "attended", "absent", "excused")


class AttendanceReportProjection:
    name = "classroom_attendance"
    topics = (topics.LIVE_SESSIONS,)
    tables = ("classroom_attendance_sessions", "classroom_attendance")
    migrations = (Migration("0001_create", """
    CREATE TABLE IF NOT EXISTS classroom_attendance_sessions (
        id uuid PRIMARY KEY,
        version integer NOT NULL,
        classroom_id uuid NOT NULL,
        teacher_id uuid NOT NULL,
        title text NOT NULL,
        status text NOT NULL,
        completed_at timestamptz
    );
    CREATE TABLE IF NOT EXISTS classroom_attendance (
        session_id uuid NOT NULL,
        student_id uuid NOT NULL,
        status text,
        joined_at timestamptz,
        left_at timestamptz,
        duration_minutes integer NOT NULL,
        connected boolean NOT NULL,
        PRIMARY KEY (session_id, student_id)
    );
    """),)  # fmt: skip

    def apply(self, cur: Cursor[Any], messages: Sequence[v1.Message]) -> None:
        fold(cur, "classroom_attendance_sessions", "id", HEADER_COLUMNS, messages, lambda m: m.aggregate_id, _header)
        full, status_only = record_changes(messages)
        if full:
            cur.executemany(
                "INSERT INTO classroom_attendance (session_id, student_id, status, joined_at, left_at,"
                " duration_minutes, connected) VALUES (%(session_id)s, %(student_id)s, %(status)s, %(joined_at)s,"
                " %(left_at)s, %(duration_minutes)s, %(connected)s) ON CONFLICT (session_id, student_id) DO UPDATE"
                " SET status = EXCLUDED.status, joined_at = EXCLUDED.joined_at, left_at = EXCLUDED.left_at,"
                " duration_minutes = EXCLUDED.duration_minutes, connected = EXCLUDED.connected",
                list(full.values()),
            )
        if status_only:
            cur.executemany(
                "INSERT INTO classroom_attendance (session_id, student_id, status, duration_minutes, connected)"
                " VALUES (%s, %s, %s, 0, false)"
                " ON CONFLICT (session_id, student_id) DO UPDATE SET status = EXCLUDED.status",
                [(s, student, status) for (s, student), status in status_only.items()],
            )


def record_changes(messages: Sequence[Any]) -> tuple[dict[tuple[UUID, UUID], Row], dict[tuple[UUID, UUID], str]]:
    """Each touched record's state after the batch: whole rows (a join or a leave carries the record), or
    only a new status (register, absent, excused) to set on the stored row."""
    full: dict[tuple[UUID, UUID], Row] = {}
    status_only: dict[tuple[UUID, UUID], str] = {}
    for m in messages:
        if isinstance(m, v1.StudentRecordMessage):
            key = (m.aggregate_id, m.student_id)
            full[key] = {"session_id": key[0], "student_id": key[1], "status": m.status, "joined_at": m.joined_at,
                         "left_at": m.left_at, "duration_minutes": m.duration_minutes,
                         "connected": m.connected}  # fmt: skip
            status_only.pop(key, None)
        elif isinstance(m, v1.StudentStatusMessage):
            key = (m.aggregate_id, m.student_id)
            if key in full:
                full[key]["status"] = m.status
            else:
                status_only[key] = m.status
    return full, status_only


def _header(row: Row | None, m: Any) -> Row | None:
    if isinstance(m, v1.LiveSessionScheduled):
        return {"id": m.aggregate_id, "version": m.version, "classroom_id": m.classroom_id,
                "teacher_id": m.teacher_id, "title": m.title, "status": m.status, "completed_at": None}  # fmt: skip
    if row is None:
        return None
    row = dict(row, version=m.version)
    match m:
        case v1.LiveSessionDetailsChanged() if "title" in m.changed and m.title is not None:
            row["title"] = m.title
        case v1.LiveSessionStarted() | v1.LiveSessionCancelled():
            row["status"] = m.status
        case v1.LiveSessionEnded():
            row.update(status=m.status, completed_at=m.at)
    return row


def report(cur: Cursor[Any], session_id: UUID) -> Row | None:
    """B.6.2: the header (``version`` for ``min_version``), ``total_enrolled`` (active members now),
    ``total_attended``, counts per status, and the rows ordered by student id; None before the
    session reached the read model."""
    cur.execute(f"SELECT {', '.join(HEADER_COLUMNS)} FROM classroom_attendance_sessions WHERE id = %s", (session_id,))
    found = cur.fetchone()
    if found is None:
        return None
    header = dict(zip(HEADER_COLUMNS, found, strict=True))
    cur.execute(
        "SELECT a.student_id, a.status, a.joined_at, a.left_at, a.duration_minutes, a.connected"
        " FROM classroom_attendance a WHERE a.session_id = %(s)s AND a.status IS NOT NULL"
        " UNION ALL"
        " SELECT m.student_id, NULL, NULL, NULL, 0, false FROM classroom_members m"
        " WHERE m.classroom_id = %(c)s AND m.status = 'active' AND NOT EXISTS ("
        "  SELECT 1 FROM classroom_attendance a"
        "  WHERE a.session_id = %(s)s AND a.student_id = m.student_id AND a.status IS NOT NULL)"
        " ORDER BY 1",
        {"s": session_id, "c": header["classroom_id"]},
    )
    rows = [dict(zip(RECORD_COLUMNS, r, strict=True)) for r in cur.fetchall()]
    cur.execute(
        "SELECT count(*) FROM classroom_members WHERE classroom_id = %s AND status = 'active'",
        (header["classroom_id"],),
    )
    enrolled = cur.fetchone()[0]  # type: ignore[index]
    counts = {status: sum(1 for r in rows if r["status"] == status) for status in STATUSES}
    return dict(header, total_enrolled=enrolled, total_attended=counts[ATTENDED], counts=counts, rows=rows)
