"""The upcoming list per actor (B.6.1, CL-20): a query over the ``live_sessions`` and
``classroom_memberships`` read models, with no table of its own.

A list per actor would be a fan-out (a 5,000-student classroom's session on 5,000 lists, rewritten at
every reschedule); the two read models it reads are small per session and indexed for it (scheduled
sessions by teacher and by classroom, members by student), so each request is one indexed query, and
rebuilding or verifying those two read models rebuilds and verifies this list.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg import Cursor

from projections.base import Row
from projections.classroom.live_sessions import COLUMNS, with_reminders

LIMIT = 10


def upcoming(cur: Cursor[Any], actor_id: UUID, at: datetime, limit: int = LIMIT) -> list[Row]:
    """Scheduled sessions the actor teaches or whose classroom has them as an active member, starting at
    or after ``at`` (inclusive), soonest first, ties by id, at most ``limit`` (B.6.1)."""
    columns = ", ".join(f"s.{c}" for c in COLUMNS)
    cur.execute(
        f"SELECT {columns} FROM classroom_live_sessions s"
        " WHERE s.status = 'scheduled' AND s.scheduled_at >= %(at)s"
        " AND (s.teacher_id = %(actor)s OR s.classroom_id IN ("
        "  SELECT m.classroom_id FROM classroom_members m WHERE m.student_id = %(actor)s AND m.status = 'active'))"
        " ORDER BY s.scheduled_at, s.id LIMIT %(limit)s",
        {"actor": actor_id, "at": at, "limit": limit},
    )
    rows = [dict(zip(COLUMNS, r, strict=True)) for r in cur.fetchall()]
    return with_reminders(cur, rows) if rows else []
