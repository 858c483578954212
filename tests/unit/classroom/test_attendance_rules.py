"""Attendance (B.4) and our decisions on presence marks and late or out-of-order webhooks (CL-1 to CL-10).

Instants are minutes after the lesson's scheduled 18:00 start (``minute``); webhooks go through
``apply_presence``, HTTP commands through ``join`` / ``leave`` with their observed ``at``.
"""

from __future__ import annotations

from uuid import uuid4

import pytest

from domain.classroom.errors import AlreadyAttendedError, LiveSessionNotFoundError, SessionNotLiveError
from domain.shared.errors import InvalidInputError, NotFoundError, RuleViolationError
from tests.unit.classroom.lessons import Lesson, finished, joined, left, minute

NOT_LIVE = "attendance.session_not_live"


def figures(lesson: Lesson, student) -> tuple:
    record = lesson.record(student)
    return (record.status, record.joined_at, record.left_at, record.duration_minutes)


# -- B.4.1 segments ----------------------------------------------------------------------------------


def test_B4_1_duration_is_the_floor_of_the_summed_closed_segments(lesson: Lesson) -> None:
    lesson.start(0)
    lesson.join(lesson.a, 0)
    lesson.leave(lesson.a, 10.5)  # 10 min 30 s
    lesson.join(lesson.a, 20)
    lesson.leave(lesson.a, 25.75)  # 5 min 45 s: 16 min 15 s in all
    assert figures(lesson, lesson.a) == ("attended", minute(0), minute(25.75), 16)


def test_B4_1_an_open_segment_does_not_count_until_it_closes(lesson: Lesson) -> None:
    lesson.start(0)
    lesson.join(lesson.a, 0)
    lesson.leave(lesson.a, 10)
    lesson.join(lesson.a, 20)
    assert figures(lesson, lesson.a) == ("attended", minute(0), minute(10), 10)
    assert lesson.record(lesson.a).connected


def test_B4_1_a_segment_of_more_than_a_day_is_not_wrapped(lesson: Lesson) -> None:
    lesson.start(0)
    lesson.join(lesson.a, 0)
    lesson.leave(lesson.a, 25 * 60 + 3)
    assert lesson.record(lesson.a).duration_minutes == 25 * 60 + 3


def test_B1_4_one_record_per_student_however_often_they_come(lesson: Lesson) -> None:
    lesson.app.register(lesson.session_id, lesson.a)
    lesson.start(0)
    for n in (0, 10, 20):
        lesson.join(lesson.a, n)
        lesson.leave(lesson.a, n + 5)
    rows = lesson.app.attendance_report(lesson.session_id, lesson.teacher).attendance
    assert [(row.student_id, row.duration_minutes) for row in rows if row.student_id == lesson.a] == [(lesson.a, 15)]


# -- B.4.2 register ----------------------------------------------------------------------------------


def test_B4_2_registering_creates_a_registered_record_once(lesson: Lesson) -> None:
    lesson.app.register(lesson.session_id, lesson.a)
    version = lesson.session().version
    lesson.app.register(lesson.session_id, lesson.a)
    assert lesson.record(lesson.a).status == "registered"
    assert lesson.session().version == version


def test_B4_2_registering_is_allowed_while_live(lesson: Lesson) -> None:
    lesson.start(0)
    lesson.app.register(lesson.session_id, lesson.a)
    assert lesson.record(lesson.a).status == "registered"


@pytest.mark.parametrize("terminal", ["end", "cancel"])
def test_CL15_registering_for_a_completed_or_cancelled_session_is_closed(lesson: Lesson, terminal: str) -> None:
    if terminal == "end":
        lesson.start(0)
        lesson.end(50)
    else:
        lesson.app.cancel(lesson.session_id, lesson.teacher)
    with pytest.raises(RuleViolationError) as refused:
        lesson.app.register(lesson.session_id, lesson.b)
    assert refused.value.code == "attendance.registration_closed"


# -- B.4.3 - B.4.8 join and leave --------------------------------------------------------------------


def test_B4_3_joining_a_scheduled_session_is_refused_as_not_live(lesson: Lesson) -> None:
    with pytest.raises(SessionNotLiveError) as refused:
        lesson.join(lesson.a, 0)
    assert (refused.value.code, refused.value.message) == (NOT_LIVE, "The session is not live.")
    assert lesson.record(lesson.a) is None


def test_B4_4_a_second_join_while_connected_changes_no_figure(lesson: Lesson) -> None:
    lesson.start(0)
    lesson.join(lesson.a, 1)
    lesson.join(lesson.a, 5)
    lesson.leave(lesson.a, 11)
    assert figures(lesson, lesson.a) == ("attended", minute(1), minute(11), 10)


@pytest.mark.parametrize("before", ["registered", "excused"])
def test_B4_5_joining_makes_a_registered_or_excused_student_attended(lesson: Lesson, before: str) -> None:
    if before == "registered":
        lesson.app.register(lesson.session_id, lesson.a)
    else:
        lesson.app.mark_attendance(lesson.session_id, lesson.teacher, lesson.a, "excused")
    lesson.start(0)
    lesson.join(lesson.a, 3)
    assert lesson.record(lesson.a).status == "attended"


def test_B4_6_joined_at_is_set_by_the_first_join_only(lesson: Lesson) -> None:
    lesson.start(0)
    lesson.join(lesson.a, 2)
    lesson.leave(lesson.a, 4)
    lesson.join(lesson.a, 30)
    assert lesson.record(lesson.a).joined_at == minute(2)


def test_B4_7_leaving_closes_the_segment_and_sets_left_at(lesson: Lesson) -> None:
    lesson.start(0)
    lesson.join(lesson.a, 0)
    lesson.leave(lesson.a, 42)
    assert figures(lesson, lesson.a) == ("attended", minute(0), minute(42), 42)
    assert not lesson.record(lesson.a).connected


def test_B4_8_leaving_without_having_joined_is_a_success_with_no_record(lesson: Lesson) -> None:
    lesson.start(0)
    outcome = lesson.leave(lesson.a, 5)
    assert outcome.id == lesson.session_id
    assert lesson.record(lesson.a).status is None
    assert lesson.record(lesson.a).duration_minutes == 0


def test_B4_8_leaving_twice_changes_no_figure(lesson: Lesson) -> None:
    lesson.start(0)
    lesson.join(lesson.a, 0)
    lesson.leave(lesson.a, 10)
    lesson.leave(lesson.a, 20)
    assert figures(lesson, lesson.a) == ("attended", minute(0), minute(10), 10)


# -- B.4.9 - B.4.12 completion -----------------------------------------------------------------------


def test_B4_9_the_teachers_end_closes_every_open_segment_at_the_completion_instant(lesson: Lesson) -> None:
    lesson.start(0)
    lesson.join(lesson.a, 0)
    lesson.join(lesson.b, 10)
    lesson.leave(lesson.b, 20)
    lesson.end(45)
    assert figures(lesson, lesson.a) == ("attended", minute(0), minute(45), 45)
    assert figures(lesson, lesson.b) == ("attended", minute(10), minute(20), 10)
    assert not lesson.record(lesson.a).connected


def test_B4_9_room_finished_closes_every_open_segment_at_its_instant(lesson: Lesson) -> None:
    lesson.webhooks(joined(lesson.a, 0), joined(lesson.b, 5), finished(30))
    assert figures(lesson, lesson.a) == ("attended", minute(0), minute(30), 30)
    assert figures(lesson, lesson.b) == ("attended", minute(5), minute(30), 25)


def test_B4_10_absences_are_decided_at_completion_for_active_members(lesson: Lesson) -> None:
    lesson.app.register(lesson.session_id, lesson.b)  # registered, never came
    lesson.app.mark_attendance(lesson.session_id, lesson.teacher, lesson.c, "excused")
    extra = uuid4()
    lesson.app.add_member(lesson.classroom_id, extra)  # no record at all
    lesson.start(0)
    lesson.join(lesson.a, 0)
    lesson.end(40)
    assert lesson.record(lesson.a).status == "attended"
    assert figures(lesson, lesson.b) == ("absent", None, None, 0)
    assert lesson.record(lesson.c).status == "excused"
    assert figures(lesson, extra) == ("absent", None, None, 0)
    assert lesson.event_names().count("StudentMarkedAbsent") == 2


def test_B4_11_students_who_are_not_active_at_completion_are_not_marked(lesson: Lesson) -> None:
    lesson.app.register(lesson.session_id, lesson.b)
    lesson.start(0)
    lesson.app.change_member(lesson.classroom_id, lesson.b, "paused")
    lesson.app.remove_member(lesson.classroom_id, lesson.c)
    lesson.end(40)
    assert lesson.record(lesson.b).status == "registered"
    assert lesson.record(lesson.c) is None


def test_B4_12_a_cancelled_session_marks_nobody_absent_and_records_no_presence(lesson: Lesson) -> None:
    lesson.app.register(lesson.session_id, lesson.a)
    lesson.app.cancel(lesson.session_id, lesson.teacher)
    lesson.leave(lesson.b, 5)
    assert lesson.record(lesson.a).status == "registered"
    assert lesson.record(lesson.b) is None
    assert "StudentMarkedAbsent" not in lesson.event_names()


# -- B.4.13 excuse -----------------------------------------------------------------------------------


@pytest.mark.parametrize("before", [None, "registered", "absent"])
def test_B4_13_the_owner_excuses_a_student_with_no_registered_or_absent_status(lesson: Lesson, before) -> None:
    if before == "registered":
        lesson.app.register(lesson.session_id, lesson.a)
    if before == "absent":
        lesson.start(0)
        lesson.end(30)
        assert lesson.record(lesson.a).status == "absent"
    lesson.app.mark_attendance(lesson.session_id, lesson.teacher, lesson.a, "excused")
    assert lesson.record(lesson.a).status == "excused"


def test_B4_13_an_attended_student_cannot_be_excused(lesson: Lesson) -> None:
    lesson.start(0)
    lesson.join(lesson.a, 0)
    lesson.end(30)
    with pytest.raises(AlreadyAttendedError) as refused:
        lesson.app.mark_attendance(lesson.session_id, lesson.teacher, lesson.a, "excused")
    assert (refused.value.code, refused.value.message) == (
        "attendance.already_attended", "The student attended this session and cannot be excused.",
    )  # fmt: skip
    assert lesson.record(lesson.a).status == "attended"


def test_B4_13_excusing_twice_changes_nothing(lesson: Lesson) -> None:
    lesson.app.mark_attendance(lesson.session_id, lesson.teacher, lesson.a, "excused")
    version = lesson.session().version
    lesson.app.mark_attendance(lesson.session_id, lesson.teacher, lesson.a, "excused")
    assert lesson.session().version == version


def test_CL16_excusing_in_a_cancelled_session_is_refused(lesson: Lesson) -> None:
    lesson.app.cancel(lesson.session_id, lesson.teacher)
    with pytest.raises(RuleViolationError) as refused:
        lesson.app.mark_attendance(lesson.session_id, lesson.teacher, lesson.a, "excused")
    assert refused.value.code == "attendance.session_cancelled"


def test_CL16_excusing_someone_who_is_not_a_member_is_not_found(lesson: Lesson) -> None:
    with pytest.raises(NotFoundError) as refused:
        lesson.app.mark_attendance(lesson.session_id, lesson.teacher, uuid4(), "excused")
    assert refused.value.code == "classroom.member.not_found"


def test_CL16_excused_is_the_only_status_a_teacher_sets(lesson: Lesson) -> None:
    with pytest.raises(InvalidInputError) as refused:
        lesson.app.mark_attendance(lesson.session_id, lesson.teacher, lesson.a, "attended")
    assert (refused.value.code, refused.value.field) == ("attendance.status.invalid", "status")


# -- B.4.14 after the end ----------------------------------------------------------------------------


@pytest.mark.parametrize("terminal", ["end", "cancel"])
def test_B4_14_joining_after_completion_or_cancellation_is_not_live(lesson: Lesson, terminal: str) -> None:
    if terminal == "end":
        lesson.start(0)
        lesson.end(30)
    else:
        lesson.app.cancel(lesson.session_id, lesson.teacher)
    with pytest.raises(SessionNotLiveError):
        lesson.join(lesson.a, 31)


def test_B4_14_leaving_after_completion_is_a_success_that_changes_nothing(lesson: Lesson) -> None:
    lesson.start(0)
    lesson.join(lesson.a, 0)
    lesson.end(30)
    version = lesson.session().version
    lesson.leave(lesson.a, 35)
    assert figures(lesson, lesson.a) == ("attended", minute(0), minute(30), 30)
    assert lesson.session().version == version


# -- CL-1 to CL-9: presence marks --------------------------------------------------------------------


def test_CL1_a_leave_that_arrives_before_its_join_closes_the_segment_when_the_join_arrives(lesson: Lesson) -> None:
    lesson.start(0)
    lesson.leave(lesson.a, 25)  # the platform saw it at 18:25; it is delivered first
    assert lesson.record(lesson.a).status is None
    lesson.join(lesson.a, 5)
    assert figures(lesson, lesson.a) == ("attended", minute(5), minute(25), 20)
    assert not lesson.record(lesson.a).connected


def test_CL1_webhooks_in_any_order_give_the_in_order_figures(lesson: Lesson) -> None:
    in_order = [joined(lesson.a, 0), left(lesson.a, 10), joined(lesson.a, 15), left(lesson.a, 40)]
    lesson.start(0)
    lesson.webhooks(*reversed(in_order))
    assert figures(lesson, lesson.a) == ("attended", minute(0), minute(40), 35)


def test_CL1_a_leave_delivered_before_the_join_that_starts_the_session_is_kept(lesson: Lesson) -> None:
    results = lesson.webhooks(left(lesson.a, 30), joined(lesson.a, 0), finished(60))
    assert all(r.accepted for r in results)
    assert figures(lesson, lesson.a) == ("attended", minute(0), minute(30), 30)


def test_CL2_an_exact_duplicate_webhook_records_nothing(lesson: Lesson) -> None:
    lesson.webhooks(joined(lesson.a, 0))
    version = lesson.session().version
    [again] = lesson.webhooks(joined(lesson.a, 0))
    assert (again.accepted, again.changed) == (True, False)
    assert lesson.session().version == version


def test_CL2_a_redundant_join_is_kept_for_a_late_leave_before_it(lesson: Lesson) -> None:
    lesson.start(0)
    lesson.join(lesson.a, 0)
    lesson.join(lesson.a, 20)  # redundant now: connected since 18:00
    lesson.leave(lesson.a, 10)  # delivered late: the student was away from 18:10 to 18:20
    lesson.end(30)
    assert figures(lesson, lesson.a) == ("attended", minute(0), minute(30), 20)


def test_CL3_a_join_observed_before_the_start_counts_from_the_start(lesson: Lesson) -> None:
    lesson.start(5)
    lesson.join(lesson.a, 0)
    lesson.leave(lesson.a, 15)
    assert figures(lesson, lesson.a) == ("attended", minute(5), minute(15), 10)


def test_CL4_a_late_leave_after_completion_shortens_the_closed_segment(lesson: Lesson) -> None:
    lesson.webhooks(joined(lesson.a, 0), finished(60))
    lesson.webhooks(left(lesson.a, 20))
    assert figures(lesson, lesson.a) == ("attended", minute(0), minute(20), 20)


def test_CL4_a_late_join_after_completion_turns_absent_into_attended(lesson: Lesson) -> None:
    lesson.webhooks(joined(lesson.a, 0), finished(60))
    assert lesson.record(lesson.b).status == "absent"
    [result] = lesson.webhooks(joined(lesson.b, 40))
    assert result.accepted
    assert figures(lesson, lesson.b) == ("attended", minute(40), minute(60), 20)


def test_CL4_a_join_at_or_after_the_completion_is_not_live(lesson: Lesson) -> None:
    lesson.webhooks(joined(lesson.a, 0), finished(60))
    [result] = lesson.webhooks(joined(lesson.b, 60))
    assert (result.accepted, result.code) == (False, NOT_LIVE)


def test_CL4_marks_delivered_before_an_earlier_room_finished_stop_counting(lesson: Lesson) -> None:
    lesson.webhooks(joined(lesson.a, 0), joined(lesson.b, 50), finished(45))
    assert figures(lesson, lesson.a) == ("attended", minute(0), minute(45), 45)
    assert figures(lesson, lesson.b) == ("absent", None, None, 0)


def test_CL5_a_removed_student_with_marks_may_still_leave(lesson: Lesson) -> None:
    lesson.start(0)
    lesson.join(lesson.a, 0)
    lesson.app.remove_member(lesson.classroom_id, lesson.a)
    lesson.leave(lesson.a, 12)
    assert figures(lesson, lesson.a) == ("attended", minute(0), minute(12), 12)


def test_CL5_a_removed_student_without_marks_cannot_leave(lesson: Lesson) -> None:
    lesson.start(0)
    lesson.app.remove_member(lesson.classroom_id, lesson.a)
    with pytest.raises(LiveSessionNotFoundError):
        lesson.leave(lesson.a, 12)


def test_CL6_a_leave_on_a_scheduled_session_is_kept_as_a_mark(lesson: Lesson) -> None:
    lesson.leave(lesson.a, 30)
    assert lesson.record(lesson.a).marks == ((minute(30), False),)


def test_CL7_the_owners_webhook_join_starts_the_session_without_a_record(lesson: Lesson) -> None:
    [result] = lesson.webhooks(joined(lesson.teacher, -2))
    assert result.accepted
    assert (lesson.session().status, lesson.session().started_at) == ("live", minute(-2))
    assert lesson.session().attendance == {}


def test_CL7_the_owners_http_join_of_a_scheduled_session_is_not_live(lesson: Lesson) -> None:
    with pytest.raises(SessionNotLiveError):
        lesson.app.join(lesson.session_id, lesson.teacher, at=minute(0))


def test_CL9_a_members_webhook_join_starts_the_session_and_records_the_join(lesson: Lesson) -> None:
    lesson.webhooks(joined(lesson.a, 3))
    assert lesson.event_names()[-2:] == ["Started", "StudentJoined"]
    assert figures(lesson, lesson.a) == ("attended", minute(3), None, 0)


# -- CL-10: the batch --------------------------------------------------------------------------------


def test_CL10_a_batch_is_saved_once_with_one_result_per_item(lesson: Lesson, monkeypatch) -> None:
    saves = []
    original = lesson.app.save
    monkeypatch.setattr(lesson.app, "save", lambda *a, **k: saves.append(a) or original(*a, **k))
    outsider = uuid4()
    results = lesson.webhooks(
        joined(lesson.a, 0), joined(outsider, 1), left(lesson.a, 10), finished(20), joined(lesson.b, 25)
    )
    assert len(saves) == 1
    assert [(r.accepted, r.code) for r in results] == [
        (True, None), (False, "live_session.not_found"), (True, None), (True, None), (False, NOT_LIVE),
    ]  # fmt: skip
    assert [r.version for r in results][:3] == [3, 3, 4]  # Started + StudentJoined, nothing, StudentLeft


def test_CL10_a_rejected_item_changes_nothing(lesson: Lesson) -> None:
    lesson.start(0)
    lesson.end(30)
    version = lesson.session().version
    [result] = lesson.webhooks(joined(lesson.a, 31))
    assert (result.accepted, result.version) == (False, version)
    assert lesson.session().version == version


def test_CL10_a_batch_for_an_unknown_room_rejects_every_item(lesson: Lesson) -> None:
    results = lesson.app.apply_presence(uuid4(), [joined(lesson.a, 0), finished(5)])
    assert [(r.accepted, r.code) for r in results] == [(False, "live_session.not_found")] * 2


@pytest.mark.parametrize(
    ("event", "code"),
    [
        (lambda s: joined(s, 0).__class__("participant_waved", minute(0), s), "presence.event.invalid"),
        (lambda s: joined(s, 0).__class__("participant_joined", minute(0), None), "presence.participant.required"),
    ],
)
def test_CL10_a_malformed_item_is_rejected_as_invalid(lesson: Lesson, event, code: str) -> None:
    [result] = lesson.webhooks(event(lesson.a))
    assert (result.accepted, result.code) == (False, code)
    assert lesson.session().status == "scheduled"
