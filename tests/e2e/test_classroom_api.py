"""The classroom API over HTTP (``api/classroom.md``): codes and statuses of every rule family, the
read models behind the GETs, and the route order of ``/live-sessions/upcoming``."""

from __future__ import annotations

from uuid import uuid4

import pytest

from tests.e2e.classroom_helpers import LESSON_AT, iso, minute, new_room, ok, problem, wait_until_served


@pytest.fixture(scope="module", autouse=True)
def served(base_url):
    import httpx

    from tests.conftest import WRITE_TOKEN

    with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {WRITE_TOKEN}"}, timeout=20) as client:
        wait_until_served(client)


def test_a_scheduled_lesson_shows_its_reminders_and_the_password_to_its_teacher_and_members(http, reader):
    room = new_room(http)
    created = room.schedule(reminders=[30, 60], meeting_url="https://meet.example/x", meeting_password="s3cret")
    sid = created["id"]
    params = {"min_version": created["version"], "actor_id": room.teacher}
    view = ok(reader.get(f"/live-sessions/{sid}", params=params))
    assert view["status"] == "scheduled" and view["scheduled_at"] == iso(LESSON_AT)
    assert view["meeting_password"] == "s3cret" and view["meeting_url"] == "https://meet.example/x"
    assert view["reminders"] == [
        {"minutes": 30, "due_at": minute(-30), "sent_at": None},
        {"minutes": 60, "due_at": minute(-60), "sent_at": None},
    ]
    assert ok(reader.get(f"/live-sessions/{sid}", params={"actor_id": room.students[0]}))["meeting_password"] == "s3cret"
    assert ok(reader.get(f"/live-sessions/{sid}"))["meeting_password"] is None
    problem(reader.get(f"/live-sessions/{sid}", params={"actor_id": str(uuid4())}), 404, "live_session.not_found")
    problem(reader.get(f"/live-sessions/{uuid4()}", params={"min_version": 1}), 404, "live_session.not_found")
