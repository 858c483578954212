"""Read model ``classroom_memberships``: each classroom and its members' statuses (CL-14), from
``classroom.classrooms.v1``.

The other classroom questions join it at query time: the upcoming list of a student (classrooms
where they are active, CL-20), the report's ``total_enrolled`` and its rows for active members
without a record (B.6.2, CL-17), the recipients of a due reminder (B.5.2).
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

CLASSROOM_COLUMNS = ("id", "version", "name", "teacher_id", "created_at")
ACTIVE = "active"


class MembershipsProjection:
    name = "classroom_memberships"
    topics = (topics.CLASSROOMS,)
    tables = ("classroom_classrooms", "classroom_members")
    migrations = (Migration("0001_create", """
    CREATE TABLE IF NOT EXISTS classroom_classrooms (
        id uuid PRIMARY KEY,
        version integer NOT NULL,
        name text NOT NULL,
        teacher_id uuid NOT NULL,
        created_at timestamptz NOT NULL
    );
    CREATE TABLE IF NOT EXISTS classroom_members (
        classroom_id uuid NOT NULL,
        student_id uuid NOT NULL,
        status text NOT NULL,
        since timestamptz NOT NULL,
        PRIMARY KEY (classroom_id, student_id)
    );
    CREATE INDEX IF NOT EXISTS classroom_members_student_idx ON classroom_members (student_id, status);
    """),)  # fmt: skip

    def apply(self, cur: Cursor[Any], messages: Sequence[v1.Message]) -> None:
        fold(cur, "classroom_classrooms", "id", CLASSROOM_COLUMNS, messages, lambda m: m.aggregate_id, _classroom)
        members: dict[tuple[UUID, UUID], tuple[str, Any]] = {}
        for m in messages:
            if isinstance(m, v1.MembershipChanged):
                members[(m.aggregate_id, m.student_id)] = (m.status, m.at)
        if members:
            cur.executemany(
                "INSERT INTO classroom_members (classroom_id, student_id, status, since) VALUES (%s, %s, %s, %s)"
                " ON CONFLICT (classroom_id, student_id)"
                " DO UPDATE SET status = EXCLUDED.status, since = EXCLUDED.since",
                [(c, s, status, at) for (c, s), (status, at) in members.items()],
            )


def _classroom(row: Row | None, m: Any) -> Row | None:
    if isinstance(m, v1.ClassroomCreated):
        return {"id": m.aggregate_id, "version": m.version, "name": m.name, "teacher_id": m.teacher_id,
                "created_at": m.created_at}  # fmt: skip
    return None if row is None else dict(row, version=m.version)


def get_classroom(cur: Cursor[Any], classroom_id: UUID) -> Row | None:
    """The classroom with ``members`` (student id -> status, every status, ordered by student)."""
    cur.execute(f"SELECT {', '.join(CLASSROOM_COLUMNS)} FROM classroom_classrooms WHERE id = %s", (classroom_id,))
    found = cur.fetchone()
    if found is None:
        return None
    cur.execute(
        "SELECT student_id, status FROM classroom_members WHERE classroom_id = %s ORDER BY student_id", (classroom_id,)
    )
    return dict(zip(CLASSROOM_COLUMNS, found, strict=True), members=cur.fetchall())


def active_members(cur: Cursor[Any], classroom_ids: Sequence[UUID]) -> dict[UUID, list[UUID]]:
    """B.1.5: each classroom's active students, ordered by id."""
    cur.execute(
        "SELECT classroom_id, student_id FROM classroom_members WHERE classroom_id = ANY(%s) AND status = %s"
        " ORDER BY classroom_id, student_id",
        (list(classroom_ids), ACTIVE),
    )
    found: dict[UUID, list[UUID]] = {c: [] for c in classroom_ids}
    for classroom_id, student_id in cur.fetchall():
        found[classroom_id].append(student_id)
    return found
