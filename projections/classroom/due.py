"""Live session reminders due for sending (B.5), from the ``live_sessions`` and ``classroom_memberships``
read models: the classroom's ``DueQuery`` (kind ``live_session_reminder``).

``DUE_RULE`` is B.5.1 in SQL, condition for condition as ``domain.classroom.reminders.is_due`` states
it (a test runs both on the same cases against PostgreSQL): the session is scheduled, the tick is
strictly before its start, the reminder is unsent, and start - lead <= tick.  No 35-minute cap (B.5.5).
The recipients listed are the classroom's active members as the read model knows them; the sending
command takes them from the classroom itself at that moment (B.5.2).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from psycopg import Cursor

from projections.classroom.memberships import active_members
from projections.due import DueItem

KIND = "live_session_reminder"
TEMPLATE = "session_reminder"

#: B.5.1 over ``s`` (classroom_live_sessions) and ``r`` (classroom_live_session_reminders) at ``%(at)s``.
DUE_RULE = (
    "s.status = 'scheduled'"
    " AND %(at)s < s.scheduled_at"
    " AND r.sent_at IS NULL"
    " AND s.scheduled_at - make_interval(mins => r.minutes) <= %(at)s"
)


def due_reminders(cur: Cursor[Any], at: datetime, limit: int) -> list[dict[str, Any]]:
    """The due reminders at ``at``, oldest due time first (ties by session and lead), at most ``limit``."""
    cur.execute(
        "SELECT s.id, s.classroom_id, s.title, s.scheduled_at, r.minutes,"
        " s.scheduled_at - make_interval(mins => r.minutes) AS due_at"
        " FROM classroom_live_session_reminders r JOIN classroom_live_sessions s ON s.id = r.session_id"
        f" WHERE r.due_at <= %(at)s AND {DUE_RULE}"
        " ORDER BY due_at, s.id, r.minutes LIMIT %(limit)s",
        {"at": at, "limit": limit},
    )
    columns = ("session_id", "classroom_id", "title", "scheduled_at", "minutes", "due_at")
    return [dict(zip(columns, r, strict=True)) for r in cur.fetchall()]


def _iso_z(instant: datetime) -> str:
    return instant.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class ClassroomDue:
    context = "classroom"

    def due(self, cur: Cursor[Any], at: datetime, limit: int) -> list[DueItem]:
        reminders = due_reminders(cur, at, limit)
        members = active_members(cur, list({r["classroom_id"] for r in reminders})) if reminders else {}
        return [
            DueItem(
                id=f"{r['session_id']}:{r['minutes']}", kind=KIND, context=self.context, due_at=r["due_at"],
                template=TEMPLATE, subject_id=r["session_id"],
                recipients=[{"student_id": str(s)} for s in members[r["classroom_id"]]],
                details={"session_id": str(r["session_id"]), "classroom_id": str(r["classroom_id"]),
                         "minutes": r["minutes"], "scheduled_at": _iso_z(r["scheduled_at"]), "title": r["title"]},
                ref={"session_id": r["session_id"], "minutes": r["minutes"]},
            )
            for r in reminders
        ]  # fmt: skip
