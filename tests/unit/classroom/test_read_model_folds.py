"""The read models' pure parts, fed the messages a scenario publishes (JSON round trip included), give
what the write side's own views say: the live session view, its reminders, and the attendance rows."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

from domain.classroom.application import Classrooms
from domain.classroom.presence import PresenceEvent
from producers.catalogue import REGISTRY, decoder_for
from producers.classroom import messages as v1
from producers.classroom import topics
from projections.classroom.attendance import _header, record_changes
from projections.classroom.live_sessions import _reminder_changes, apply_message
from tests.unit.classroom.lessons import START, minute, new_lesson
from tests.unit.classroom.test_every_event_is_published import store_every_event


def _messages(app: Classrooms, session_id: UUID) -> list[Any]:
    messages_of = REGISTRY.bind(app.repository)
    found = []
    for notification in app.recorder.select_notifications(start=None, limit=10_000):
        for out in messages_of(app.mapper.to_domain_event(notification)):
            if out.topic == topics.LIVE_SESSIONS and out.key == session_id:
                found.append(decoder_for(out.topic)(out.message.__pydantic_serializer__.to_json(out.message)))
    return found


def _fold_session(messages: list[Any]) -> dict[str, Any]:
    row = None
    for m in messages:
        row = apply_message(row, m)
    assert row is not None
    return row


def _fold_reminders(messages: list[Any]) -> dict[tuple[UUID, int], Any]:
    rows: dict[tuple[UUID, int], Any] = {}
    for m in messages:
        for key, row in _reminder_changes(rows, m):
            rows[key] = row
    return {k: v for k, v in rows.items() if v is not None}


def test_the_live_session_row_is_the_write_sides_view_without_the_password(app, clock):
    session_id, cancelled = store_every_event(app, clock)
    for sid in (session_id, cancelled):
        row = _fold_session(_messages(app, sid))
        view = app.live_session_view(sid)
        for field in ("version", "classroom_id", "teacher_id", "title", "description", "scheduled_at",
                      "duration_minutes", "timezone", "session_type", "status", "meeting_url", "meeting_id",
                      "recording_url", "created_at", "started_at", "completed_at", "cancelled_at"):  # fmt: skip
            assert row[field] == getattr(view, field), field
        assert row["materials"].obj == view.materials
        assert row["has_meeting_password"] is (app.get_live_session(sid).meeting_password is not None)


def test_the_reminder_rows_are_the_views_reminders_after_sent_rearmed_and_removed(app, clock):
    session_id, _ = store_every_event(app, clock)
    rows = _fold_reminders(_messages(app, session_id))
    view = app.live_session_view(session_id)
    assert [(r["minutes"], r["due_at"], r["sent_at"]) for _, r in sorted(rows.items())] == [
        (r.minutes, r.due_at, r.sent_at) for r in view.reminders
    ]
    assert [r.minutes for r in view.reminders] == [60]  # 30 removed; 60 sent, then re-armed by the reschedule
    assert view.reminders[0].sent_at is None


def test_a_password_change_only_says_whether_there_is_one(app, clock):
    lesson = new_lesson(app, clock, meeting_password="s3cret")
    app.update_live_session(lesson.session_id, lesson.teacher, {"meeting_password": None})
    [scheduled, changed] = _messages(app, lesson.session_id)
    assert scheduled.has_meeting_password is True
    assert isinstance(changed, v1.LiveSessionDetailsChanged) and changed.changed == ["meeting_password"]
    assert _fold_session([scheduled, changed])["has_meeting_password"] is False


def test_the_attendance_rows_are_the_write_sides_report_after_out_of_order_webhooks(app, clock):
    lesson = new_lesson(app, clock)
    a, b, c = lesson.students
    app.register(lesson.session_id, c)
    lesson.webhooks(
        PresenceEvent("participant_left", minute(10), a), PresenceEvent("participant_joined", minute(0), a),
        PresenceEvent("participant_joined", minute(1), b), PresenceEvent("participant_left", minute(20), b),
        PresenceEvent("participant_joined", minute(30), b), PresenceEvent("room_finished", minute(45)),
        PresenceEvent("participant_left", minute(40), b),
    )  # fmt: skip
    app.mark_attendance(lesson.session_id, lesson.teacher, c)
    messages = _messages(app, lesson.session_id)
    full, status_only = record_changes(messages)
    rows = {student: dict(row) for (_, student), row in full.items()}
    for (_, student), status in status_only.items():
        rows.setdefault(student, {"status": None, "joined_at": None, "left_at": None, "duration_minutes": 0})
        rows[student]["status"] = status
    report = app.attendance_report(lesson.session_id, lesson.teacher)
    assert {r.student_id: (r.status, r.joined_at, r.left_at, r.duration_minutes) for r in report.attendance} == {
        s: (r["status"], r["joined_at"], r["left_at"], r["duration_minutes"]) for s, r in rows.items()
    }
    assert rows[b]["duration_minutes"] == 29 and rows[c]["status"] == "excused"


def test_a_status_after_a_whole_record_in_one_batch_keeps_the_records_times(app, clock):
    lesson = new_lesson(app, clock)
    a = lesson.students[0]
    lesson.start(0)
    lesson.join(a, 5)
    app.mark_attendance(lesson.session_id, lesson.teacher, lesson.students[1])
    messages = _messages(app, lesson.session_id)
    full, status_only = record_changes(messages)
    assert full[(lesson.session_id, a)]["joined_at"] == minute(5)
    assert status_only == {(lesson.session_id, lesson.students[1]): "excused"}


def test_the_report_header_follows_title_and_lifecycle(app, clock):
    lesson = new_lesson(app, clock)
    app.update_live_session(
        lesson.session_id, lesson.teacher, {"title": "Renamed", "scheduled_at": START + timedelta(hours=1)}
    )
    lesson.start(60)
    lesson.end(90)
    header = None
    for m in _messages(app, lesson.session_id):
        header = _header(header, m)
    assert header is not None
    assert (header["title"], header["status"], header["completed_at"]) == ("Renamed", "completed", minute(90))
