"""Queries (B.6), the write-side views (CL-17, CL-18, CL-20), memberships (B.1.5, B.1.6, CL-14) and
snapshots of large sessions (CL-23)."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID, uuid4

import pytest

from domain.classroom.application import Classrooms
from domain.classroom.errors import MemberNotFoundError
from domain.classroom.views import UpcomingCandidate, select_upcoming
from domain.shared.clock import FrozenClock
from domain.shared.errors import InvalidInputError
from tests.unit.classroom.lessons import START, Lesson, finished, joined, left, minute, new_lesson

# -- B.6.1 upcoming ----------------------------------------------------------------------------------

TEACHER, OTHER_TEACHER, STUDENT = uuid4(), uuid4(), uuid4()
MINE, THEIRS, STUDENTS_CLASS = uuid4(), uuid4(), uuid4()


def candidate(n: int, *, classroom=MINE, teacher=TEACHER, status="scheduled", offset=0, id_: UUID | None = None):
    return UpcomingCandidate(id_ or UUID(int=n), classroom, teacher, status, START + timedelta(minutes=offset))


def test_B6_1_a_teacher_sees_their_own_scheduled_sessions_from_the_instant_on() -> None:
    sessions = [
        candidate(1, offset=0), candidate(2, offset=-1), candidate(3, offset=10, status="live"),
        candidate(4, offset=5, classroom=THEIRS, teacher=OTHER_TEACHER), candidate(5, offset=30),
    ]  # fmt: skip
    upcoming = select_upcoming(sessions, actor_id=TEACHER, active_classroom_ids=[], at=START)
    assert [c.id.int for c in upcoming] == [1, 5]  # inclusive at START; not earlier, not live, not theirs


def test_B6_1_a_student_sees_the_sessions_of_classrooms_where_they_are_active() -> None:
    sessions = [candidate(1, classroom=STUDENTS_CLASS, teacher=OTHER_TEACHER), candidate(2)]
    upcoming = select_upcoming(sessions, actor_id=STUDENT, active_classroom_ids=[STUDENTS_CLASS], at=START)
    assert [c.id.int for c in upcoming] == [1]


def test_B6_1_soonest_first_ties_by_id_and_at_most_ten() -> None:
    sessions = [candidate(n, offset=(12 - n) // 2, id_=UUID(int=100 - n)) for n in range(12)]
    upcoming = select_upcoming(sessions, actor_id=TEACHER, active_classroom_ids=[], at=START)
    assert len(upcoming) == 10
    keys = [(c.scheduled_at, c.id) for c in upcoming]
    assert keys == sorted(keys)
    # the earliest is id 89 (offset 0); then a tie at offset 1 between ids 91 and 90, given in that order
    assert [c.id.int for c in upcoming[:3]] == [89, 90, 91]


def test_CL20_a_teacher_who_is_also_a_student_sees_both() -> None:
    sessions = [candidate(1), candidate(2, classroom=STUDENTS_CLASS, teacher=OTHER_TEACHER, offset=1)]
    upcoming = select_upcoming(sessions, actor_id=TEACHER, active_classroom_ids=[STUDENTS_CLASS], at=START)
    assert [c.id.int for c in upcoming] == [1, 2]


# -- B.6.2 attendance report -------------------------------------------------------------------------


def test_B6_2_the_attendance_report_with_its_totals(lesson: Lesson) -> None:
    lesson.app.mark_attendance(lesson.session_id, lesson.teacher, lesson.c, "excused")
    lesson.webhooks(joined(lesson.a, 0), joined(lesson.b, 2), left(lesson.b, 10), joined(lesson.b, 20), finished(50))
    report = lesson.app.attendance_report(lesson.session_id, lesson.teacher)
    assert (report.session_id, report.session_title) == (lesson.session_id, "Modal verbs")
    assert (report.total_enrolled, report.total_attended) == (3, 2)
    rows = {row.student_id: row for row in report.attendance}
    assert (rows[lesson.a].status, rows[lesson.a].duration_minutes) == ("attended", 50)
    assert (rows[lesson.b].joined_at, rows[lesson.b].left_at, rows[lesson.b].duration_minutes) == (
        minute(2), minute(50), 38,
    )  # fmt: skip
    assert rows[lesson.c].status == "excused"


def test_B6_2_total_enrolled_counts_active_memberships_now(lesson: Lesson) -> None:
    lesson.app.add_member(lesson.classroom_id, uuid4(), "pending")
    lesson.app.change_member(lesson.classroom_id, lesson.c, "paused")
    report = lesson.app.attendance_report(lesson.session_id, lesson.teacher)
    assert report.total_enrolled == 2


def test_CL17_active_members_without_a_record_appear_with_no_status(lesson: Lesson) -> None:
    lesson.app.register(lesson.session_id, lesson.a)
    report = lesson.app.attendance_report(lesson.session_id, lesson.teacher)
    assert [(row.student_id, row.status) for row in report.attendance] == sorted(
        [(lesson.a, "registered"), (lesson.b, None), (lesson.c, None)], key=lambda r: str(r[0])
    )


def test_CL17_a_record_of_a_former_member_stays_in_the_report(lesson: Lesson) -> None:
    lesson.webhooks(joined(lesson.a, 0), left(lesson.a, 15))
    lesson.app.remove_member(lesson.classroom_id, lesson.a)
    report = lesson.app.attendance_report(lesson.session_id, lesson.teacher)
    assert lesson.a in {row.student_id for row in report.attendance}
    assert (report.total_enrolled, report.total_attended) == (2, 1)


# -- CL-18 the live session view ---------------------------------------------------------------------


def test_CL18_the_meeting_password_is_shown_to_the_owner_and_active_members_only(app, clock) -> None:
    lesson = new_lesson(app, clock, meeting_password="s3cret", meeting_url="https://meet.example/x", reminders=[30])
    app.change_member(lesson.classroom_id, lesson.c, "paused")
    assert app.live_session_view(lesson.session_id, lesson.teacher).meeting_password == "s3cret"
    assert app.live_session_view(lesson.session_id, lesson.a).meeting_password == "s3cret"
    assert app.live_session_view(lesson.session_id, lesson.c).meeting_password is None
    assert app.live_session_view(lesson.session_id, uuid4()).meeting_password is None
    view = app.live_session_view(lesson.session_id)
    assert (view.meeting_password, view.meeting_url, view.status) == (None, "https://meet.example/x", "scheduled")
    assert [(r.minutes, r.due_at, r.sent_at) for r in view.reminders] == [(30, minute(-30), None)]


# -- B.1.5, B.1.6, CL-14 memberships -----------------------------------------------------------------


def test_B1_6_a_membership_has_one_of_four_statuses_and_keeps_its_history(lesson: Lesson) -> None:
    for status in ("paused", "active", "removed"):
        lesson.app.change_member(lesson.classroom_id, lesson.a, status)
    assert lesson.app.classroom_view(lesson.classroom_id).members[str(lesson.a)] == "removed"
    history = [
        (e.from_status, e.status)
        for e in lesson.app.events.get(lesson.classroom_id)
        if type(e).__name__ == "MembershipChanged" and e.student_id == lesson.a
    ]
    assert history == [(None, "active"), ("active", "paused"), ("paused", "active"), ("active", "removed")]


def test_B1_5_only_active_members_count(lesson: Lesson) -> None:
    lesson.app.change_member(lesson.classroom_id, lesson.b, "pending")
    classroom = lesson.app.get_classroom(lesson.classroom_id)
    assert classroom.active_member_ids() == sorted(str(s) for s in (lesson.a, lesson.c))


def test_CL14_a_new_member_may_be_pending_and_re_adding_sets_the_status(lesson: Lesson) -> None:
    newcomer = uuid4()
    lesson.app.add_member(lesson.classroom_id, newcomer, "pending")
    lesson.app.add_member(lesson.classroom_id, newcomer)
    assert lesson.app.get_classroom(lesson.classroom_id).status_of(newcomer) == "active"


@pytest.mark.parametrize("status", ["paused", "removed", "gone"])
def test_CL14_a_new_member_is_active_or_pending(lesson: Lesson, status: str) -> None:
    with pytest.raises(InvalidInputError) as refused:
        lesson.app.add_member(lesson.classroom_id, uuid4(), status)
    assert (refused.value.code, refused.value.field) == ("classroom.member.status_invalid", "status")


def test_CL14_changing_an_unknown_member_is_not_found(lesson: Lesson) -> None:
    with pytest.raises(MemberNotFoundError) as refused:
        lesson.app.change_member(lesson.classroom_id, uuid4(), "paused")
    assert refused.value.code == "classroom.member.not_found"


def test_CL14_the_teacher_cannot_be_a_member_of_their_classroom(lesson: Lesson) -> None:
    with pytest.raises(InvalidInputError) as refused:
        lesson.app.add_member(lesson.classroom_id, lesson.teacher)
    assert refused.value.code == "classroom.member.is_teacher"


def test_CL14_setting_the_same_status_again_records_nothing(lesson: Lesson) -> None:
    version = lesson.app.get_classroom(lesson.classroom_id).version
    outcome = lesson.app.add_member(lesson.classroom_id, lesson.a)
    assert outcome.version == version


# -- CL-23 snapshots ---------------------------------------------------------------------------------


def big_lesson(app: Classrooms, clock: FrozenClock, size: int) -> tuple[Lesson, list[UUID]]:
    lesson = new_lesson(app, clock, reminders=[30])
    crowd = [uuid4() for _ in range(size)]
    for student in crowd:
        app.add_member(lesson.classroom_id, student)
    return lesson, crowd


def test_CL23_a_large_batch_takes_one_snapshot_and_the_session_reloads_from_it(
    app: Classrooms, clock: FrozenClock
) -> None:
    lesson, crowd = big_lesson(app, clock, 250)
    results = lesson.webhooks(*[joined(s, i / 60) for i, s in enumerate(crowd)], left(crowd[0], 30))
    assert all(r.accepted for r in results)
    snapshots = list(app.snapshots.get(lesson.session_id))
    live = lesson.session()
    assert [s.originator_version for s in snapshots] == [live.version]
    reloaded = app.repository.get(lesson.session_id, version=live.version)
    assert reloaded.attendance == live.attendance
    assert reloaded.reminders == live.reminders
    assert reloaded.record(crowd[0]).marks == ((minute(0), True), (minute(30), False))


def test_CL23_a_session_reloaded_from_a_snapshot_goes_on_deciding_alike(app: Classrooms, clock: FrozenClock) -> None:
    lesson, crowd = big_lesson(app, clock, 120)
    lesson.webhooks(*[joined(s, 0) for s in crowd])
    snapshot_version = lesson.session().version
    lesson.webhooks(left(crowd[1], 40), finished(45))
    reloaded = app.repository.get(lesson.session_id, version=lesson.session().version)
    assert next(iter(app.snapshots.get(lesson.session_id))).originator_version == snapshot_version
    assert reloaded.record(crowd[1]).duration_minutes == 40
    assert reloaded.record(crowd[2]).duration_minutes == 45
    assert reloaded.record(lesson.a).status == "absent"
