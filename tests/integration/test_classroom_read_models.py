"""The classroom read models after mixed traffic (schedules, edits, reschedules, reminders sent and
re-armed, memberships changing, lessons run over HTTP-style commands and webhooks, cancellations) equal
a rebuild from the event store, row for row; a live rebuild gives the same rows again."""

from __future__ import annotations

from datetime import timedelta

from domain.classroom.presence import PresenceEvent
from infra.rebuild import rebuild, verify
from projections.catalogue import PROJECTIONS
from tests.integration.classroom_support import LESSON_AT, minute, new_lesson, report, session_row

CLASSROOM_READ_MODELS = ("classroom_memberships", "live_sessions", "classroom_attendance")


def _mixed_traffic(app) -> list:
    lessons = []
    for n in range(3):
        lesson = new_lesson(
            app,
            students=5,
            scheduled_at=LESSON_AT + timedelta(days=n),
            reminders=[30, 60],
            meeting_password="pw",
            materials=[{"type": "pdf", "content_id": "c1", "title": "Verbs"}],
        )
        a, b, c, d, e = lesson.students
        sid = lesson.session_id
        app.update_live_session(
            sid,
            lesson.teacher,
            {
                "title": f"Lesson {n}",
                "meeting_url": "https://meet.example/x",
                "materials": [],
                "meeting_password": None,
            },
        )
        app.record_reminder_sent(sid, 60, at=minute(-55, LESSON_AT + timedelta(days=n)))
        app.update_live_session(sid, lesson.teacher, {"scheduled_at": LESSON_AT + timedelta(days=n, hours=1)})
        app.add_reminder(sid, lesson.teacher, 1440)
        app.remove_reminder(sid, lesson.teacher, 30)
        app.change_member(lesson.classroom_id, e, "paused")
        if n == 2:
            app.cancel(sid, lesson.teacher)
            lessons.append(lesson)
            continue
        start = LESSON_AT + timedelta(days=n, hours=1)
        app.register(sid, a)
        app.apply_presence(sid, [
            PresenceEvent("participant_left", start + timedelta(minutes=9), b),
            PresenceEvent("participant_joined", start, b),
            PresenceEvent("participant_joined", start + timedelta(minutes=3), c),
        ])  # fmt: skip
        app.mark_attendance(sid, lesson.teacher, d)
        app.remove_member(lesson.classroom_id, c)
        app.apply_presence(sid, [PresenceEvent("room_finished", start + timedelta(minutes=45))])
        app.leave(sid, c, at=start + timedelta(minutes=20))  # CL-4 and CL-5: a late leave of a former member
        lessons.append(lesson)
    return lessons


def test_the_classroom_read_models_equal_a_rebuild_after_mixed_traffic(container):
    app = container.classroom
    lessons = _mixed_traffic(app)
    for lesson in lessons:
        row = session_row(container, lesson.session_id, app.get_live_session(lesson.session_id).version)
        assert row["has_meeting_password"] is False and row["meeting_url"] == "https://meet.example/x"
        assert [r["minutes"] for r in row["reminders"]] == [60, 1440]
    finished = report(container, lessons[0].session_id, app.get_live_session(lessons[0].session_id).version)
    statuses = {r["student_id"]: (r["status"], r["duration_minutes"]) for r in finished["rows"]}
    a, b, c, d, _e = lessons[0].students
    assert statuses == {a: ("absent", 0), b: ("attended", 9), c: ("attended", 17), d: ("excused", 0)}
    for name in CLASSROOM_READ_MODELS:
        assert verify(app, container.pool, PROJECTIONS[name], settle_seconds=15) == [], name


def test_a_live_rebuild_of_the_attendance_report_gives_the_same_rows(container):
    app = container.classroom
    lessons = _mixed_traffic(app)
    lesson = lessons[0]
    for other in lessons:  # caught up first: a rebuild racing the live consumer's tail is the shared rebuild's matter
        report(container, other.session_id, app.get_live_session(other.session_id).version)
    before = report(container, lesson.session_id, app.get_live_session(lesson.session_id).version)
    rebuild(app, container.pool, PROJECTIONS["classroom_attendance"])
    after = report(container, lesson.session_id, before["version"])
    assert after == before
    assert verify(app, container.pool, PROJECTIONS["classroom_attendance"], settle_seconds=15) == []
