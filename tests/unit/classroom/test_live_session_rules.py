"""Live sessions: their constraints (B.1), state machine (B.2) and who may do what (B.3).

Rule ids are those of ``domain/classroom/RULES.md``; codes and messages are quoted word for word.
"""

from __future__ import annotations

from uuid import uuid4

import pytest

from domain.classroom.application import Classrooms
from domain.classroom.errors import (
    InvalidTransitionError,
    LiveSessionNotFoundError,
    OwnerOnlyError,
    TeacherRequiredError,
)
from domain.shared.clock import FrozenClock
from domain.shared.errors import ForbiddenError, InvalidInputError, NotFoundError, RuleViolationError
from tests.unit.classroom.lessons import START, Lesson, finished, joined, minute, new_lesson

TEACHER_REQUIRED = "Only teachers can create sessions. Apply to become a teacher first."


# -- B.1 constraints ---------------------------------------------------------------------------------


def test_B1_1_duration_defaults_to_sixty_minutes(lesson: Lesson) -> None:
    assert lesson.session().duration_minutes == 60


@pytest.mark.parametrize("duration", [0, -5, True, 1.5])
def test_B1_1_duration_below_one_minute_or_not_whole_is_invalid(lesson: Lesson, duration: object) -> None:
    with pytest.raises(InvalidInputError) as refused:
        lesson.app.schedule_live_session(
            lesson.classroom_id, actor_id=lesson.teacher, title="x", scheduled_at=START, duration_minutes=duration
        )
    assert (refused.value.code, refused.value.field) == ("live_session.duration.invalid", "duration_minutes")


def test_B1_1_a_patch_cannot_set_a_zero_duration(lesson: Lesson) -> None:
    with pytest.raises(InvalidInputError) as refused:
        lesson.app.update_live_session(lesson.session_id, lesson.teacher, {"duration_minutes": 0})
    assert refused.value.code == "live_session.duration.invalid"
    assert lesson.session().duration_minutes == 60


def test_B1_7_status_is_read_only_through_a_patch(lesson: Lesson) -> None:
    with pytest.raises(InvalidInputError) as refused:
        lesson.app.update_live_session(lesson.session_id, lesson.teacher, {"status": "live"})
    assert (refused.value.code, refused.value.field) == ("live_session.status.read_only", "status")
    assert lesson.session().status == "scheduled"


@pytest.mark.parametrize(
    ("values", "field", "code"),
    [
        ({"title": "x" * 201}, "title", "live_session.title.too_long"),
        ({"title": "  "}, "title", "live_session.title.required"),
        ({"session_type": "hologram"}, "session_type", "live_session.session_type.invalid"),
        ({"timezone": "Mars/Olympus"}, "timezone", "validation.invalid"),
    ],
)
def test_B1_7_title_type_and_time_zone_are_checked(lesson: Lesson, values: dict, field: str, code: str) -> None:
    values = {"title": "ok", **values}
    with pytest.raises(InvalidInputError) as refused:
        lesson.app.schedule_live_session(lesson.classroom_id, actor_id=lesson.teacher, scheduled_at=START, **values)
    assert (refused.value.field, refused.value.code) == (field, code)


def test_B1_7_a_title_of_two_hundred_characters_is_accepted(lesson: Lesson) -> None:
    outcome = lesson.app.schedule_live_session(
        lesson.classroom_id, actor_id=lesson.teacher, title="x" * 200, scheduled_at=START
    )
    assert lesson.app.get_live_session(outcome.id).title == "x" * 200


@pytest.mark.parametrize(
    ("values", "field", "code"),
    [
        ({"description": "a\x00b"}, "description", "live_session.description.invalid"),
        ({"meeting_password": "p" * 201}, "meeting_password", "live_session.meeting_password.too_long"),
        ({"materials": [{"kind": "pdf"}]}, "materials", "live_session.materials.invalid"),
        ({"reminders": [600_000]}, "minutes", "reminder.minutes.invalid"),
    ],
)
def test_CL22_free_text_materials_and_minute_bounds_are_checked(
    lesson: Lesson, values: dict, field: str, code: str
) -> None:
    with pytest.raises(InvalidInputError) as refused:
        lesson.app.schedule_live_session(
            lesson.classroom_id, actor_id=lesson.teacher, title="t", scheduled_at=START, **values
        )
    assert (refused.value.field, refused.value.code) == (field, code)


def test_CL22_an_unknown_patch_field_is_refused(lesson: Lesson) -> None:
    with pytest.raises(InvalidInputError) as refused:
        lesson.app.update_live_session(lesson.session_id, lesson.teacher, {"teacher_id": str(uuid4())})
    assert (refused.value.field, refused.value.code) == ("teacher_id", "live_session.field.unknown")


def test_CL22_a_patch_changes_the_details_it_names(lesson: Lesson) -> None:
    materials = [{"type": "pdf", "content_id": 7, "title": "Worksheet"}]
    lesson.app.update_live_session(
        lesson.session_id, lesson.teacher, {"title": "Modal verbs II", "materials": materials, "duration_minutes": 45}
    )
    session = lesson.session()
    assert (session.title, session.materials, session.duration_minutes) == ("Modal verbs II", materials, 45)


def test_CL24_repeating_a_create_with_the_same_id_and_values_answers_the_first(lesson: Lesson) -> None:
    chosen = uuid4()
    values = {"actor_id": lesson.teacher, "title": "Cases", "scheduled_at": START, "reminders": [30], "id": chosen}
    first = lesson.app.schedule_live_session(lesson.classroom_id, **values)
    again = lesson.app.schedule_live_session(lesson.classroom_id, **values)
    assert (first.created, again.created, again.id, again.version) == (True, False, chosen, first.version)


def test_CL24_reusing_an_id_with_other_values_is_a_conflict(lesson: Lesson) -> None:
    chosen = uuid4()
    lesson.app.schedule_live_session(lesson.classroom_id, actor_id=lesson.teacher, title="A", scheduled_at=START,
                                     id=chosen)  # fmt: skip
    with pytest.raises(RuleViolationError) as refused:
        lesson.app.schedule_live_session(lesson.classroom_id, actor_id=lesson.teacher, title="B",
                                         scheduled_at=START, id=chosen)  # fmt: skip
    assert refused.value.code == "conflict.id_reused"


# -- B.2 state machine -------------------------------------------------------------------------------


def test_B2_1_the_owner_starts_a_scheduled_session_and_it_is_live(lesson: Lesson) -> None:
    outcome = lesson.start(2)
    assert outcome.status == "live"  # B.2.8
    assert (lesson.session().status, lesson.session().started_at) == ("live", minute(2))


def test_B2_2_the_owner_cancels_a_scheduled_session(lesson: Lesson) -> None:
    outcome = lesson.app.cancel(lesson.session_id, lesson.teacher, at=minute(-30))
    assert outcome.status == "cancelled"
    assert (lesson.session().status, lesson.session().cancelled_at) == ("cancelled", minute(-30))


def test_B2_3_the_owner_ends_a_live_session_and_it_is_completed(lesson: Lesson) -> None:
    lesson.start(0)
    outcome = lesson.end(55)
    assert outcome.status == "completed"  # B.2.8
    assert (lesson.session().status, lesson.session().completed_at) == ("completed", minute(55))


def test_B2_4_a_participant_joined_webhook_makes_a_scheduled_session_live(lesson: Lesson) -> None:
    [result] = lesson.webhooks(joined(lesson.a, 1))
    assert result.accepted
    assert (lesson.session().status, lesson.session().started_at) == ("live", minute(1))


@pytest.mark.parametrize("started", [False, True])
def test_B2_5_room_finished_completes_a_scheduled_or_live_session(lesson: Lesson, started: bool) -> None:
    if started:
        lesson.start(0)
    [result] = lesson.webhooks(finished(50))
    assert result.accepted
    assert (lesson.session().status, lesson.session().completed_at) == ("completed", minute(50))


def _live(lesson: Lesson) -> None:
    lesson.start(0)


def _completed(lesson: Lesson) -> None:
    lesson.start(0)
    lesson.end(50)


def _cancelled(lesson: Lesson) -> None:
    lesson.app.cancel(lesson.session_id, lesson.teacher)


def _scheduled(lesson: Lesson) -> None:
    pass


@pytest.mark.parametrize(
    ("arrange", "act", "from_status", "to_status"),
    [
        (_live, "start", "live", "live"),
        (_completed, "start", "completed", "live"),
        (_cancelled, "start", "cancelled", "live"),
        (_scheduled, "end", "scheduled", "completed"),
        (_completed, "end", "completed", "completed"),
        (_cancelled, "end", "cancelled", "completed"),
        (_live, "cancel", "live", "cancelled"),
        (_completed, "cancel", "completed", "cancelled"),
        (_cancelled, "cancel", "cancelled", "cancelled"),
    ],
)
def test_B2_6_every_other_transition_is_refused_as_invalid(
    lesson: Lesson, arrange, act: str, from_status: str, to_status: str
) -> None:
    arrange(lesson)
    version = lesson.session().version
    with pytest.raises(InvalidTransitionError) as refused:
        getattr(lesson.app, act)(lesson.session_id, lesson.teacher, at=minute(60))
    assert refused.value.code == "session.invalid_transition"
    assert (refused.value.from_status, refused.value.to_status) == (from_status, to_status)
    assert refused.value.message == f"A {from_status} session cannot become {to_status}."
    assert isinstance(refused.value, RuleViolationError)  # 409
    assert lesson.session().version == version


@pytest.mark.parametrize("arrange", [_completed, _cancelled])
def test_B2_6_room_finished_on_a_terminal_session_is_rejected_as_invalid(lesson: Lesson, arrange) -> None:
    arrange(lesson)
    [result] = lesson.webhooks(finished(70))
    assert (result.accepted, result.code) == (False, "session.invalid_transition")


def test_B2_7_a_scheduled_session_is_rescheduled(lesson: Lesson) -> None:
    lesson.app.update_live_session(lesson.session_id, lesson.teacher, {"scheduled_at": minute(60)})
    assert lesson.session().scheduled_at == minute(60)
    assert "Rescheduled" in lesson.event_names()


@pytest.mark.parametrize("arrange", [_live, _completed, _cancelled])
def test_B2_7_rescheduling_is_refused_unless_scheduled(lesson: Lesson, arrange) -> None:
    arrange(lesson)
    with pytest.raises(InvalidTransitionError) as refused:
        lesson.app.update_live_session(lesson.session_id, lesson.teacher, {"scheduled_at": minute(120)})
    assert (refused.value.code, refused.value.to_status) == ("session.invalid_transition", "scheduled")
    assert lesson.session().scheduled_at == START


def test_B2_7_repeating_the_same_start_time_on_a_live_session_changes_nothing(lesson: Lesson) -> None:
    lesson.start(0)
    version = lesson.session().version
    lesson.app.update_live_session(lesson.session_id, lesson.teacher, {"scheduled_at": START, "title": "Modal verbs"})
    assert lesson.session().version == version


def test_CL8_an_end_observed_before_the_start_completes_at_the_start(lesson: Lesson) -> None:
    lesson.start(10)
    lesson.end(5)
    assert lesson.session().completed_at == minute(10)


def test_B2_8_start_end_and_cancel_answer_the_new_status(app: Classrooms, clock: FrozenClock) -> None:
    ended, cancelled = new_lesson(app, clock), new_lesson(app, clock)
    started = ended.start(0)
    assert (started.id, started.version, started.status) == (ended.session_id, ended.session().version, "live")
    assert ended.end(30).status == "completed"
    assert app.cancel(cancelled.session_id, cancelled.teacher).status == "cancelled"


# -- B.3 who may do what -----------------------------------------------------------------------------


def test_B3_1_a_student_cannot_create_a_session(lesson: Lesson) -> None:
    with pytest.raises(TeacherRequiredError) as refused:
        lesson.app.schedule_live_session(lesson.classroom_id, actor_id=lesson.a, title="x", scheduled_at=START)
    assert (refused.value.code, refused.value.message) == ("live_session.teacher_required", TEACHER_REQUIRED)
    assert isinstance(refused.value, ForbiddenError)  # 403


def test_B3_1_another_teacher_cannot_create_a_session_in_this_classroom(app: Classrooms, clock: FrozenClock) -> None:
    mine, theirs = new_lesson(app, clock), new_lesson(app, clock)
    with pytest.raises(TeacherRequiredError):
        app.schedule_live_session(mine.classroom_id, actor_id=theirs.teacher, title="x", scheduled_at=START)


def test_B3_1_an_unknown_classroom_is_not_found(lesson: Lesson) -> None:
    with pytest.raises(NotFoundError) as refused:
        lesson.app.schedule_live_session(uuid4(), actor_id=lesson.teacher, title="x", scheduled_at=START)
    assert refused.value.code == "classroom.not_found"


OUTSIDER_ACTIONS = {
    "start": lambda app, sid, who: app.start(sid, who),
    "cancel": lambda app, sid, who: app.cancel(sid, who),
    "reschedule": lambda app, sid, who: app.update_live_session(sid, who, {"scheduled_at": minute(5)}),
    "add_reminder": lambda app, sid, who: app.add_reminder(sid, who, 15),
    "register": lambda app, sid, who: app.register(sid, who),
    "join": lambda app, sid, who: app.join(sid, who),
    "leave": lambda app, sid, who: app.leave(sid, who),
    "attendance_report": lambda app, sid, who: app.attendance_report(sid, who),
    "see": lambda app, sid, who: app.check_can_see(sid, who),
}


@pytest.mark.parametrize("action", OUTSIDER_ACTIONS)
def test_B3_2_an_actor_outside_the_scope_gets_not_found(lesson: Lesson, action: str) -> None:
    version = lesson.session().version
    with pytest.raises(LiveSessionNotFoundError) as refused:
        OUTSIDER_ACTIONS[action](lesson.app, lesson.session_id, uuid4())
    assert refused.value.code == "live_session.not_found"
    assert lesson.session().version == version


@pytest.mark.parametrize("status", ["pending", "paused", "removed"])
def test_B3_2_a_member_who_is_not_active_cannot_see_the_session(lesson: Lesson, status: str) -> None:
    lesson.app.change_member(lesson.classroom_id, lesson.a, status)
    with pytest.raises(LiveSessionNotFoundError):
        lesson.app.check_can_see(lesson.session_id, lesson.a)


def test_B3_2_the_owner_and_active_members_can_see_the_session(lesson: Lesson) -> None:
    assert lesson.app.check_can_see(lesson.session_id, lesson.teacher) == "owner"
    assert lesson.app.check_can_see(lesson.session_id, lesson.a) == "member"


MEMBER_REFUSED = {
    "start": lambda app, sid, who: app.start(sid, who),
    "end": lambda app, sid, who: app.end(sid, who),
    "cancel": lambda app, sid, who: app.cancel(sid, who),
    "reschedule": lambda app, sid, who: app.update_live_session(sid, who, {"scheduled_at": minute(5)}),
    "edit": lambda app, sid, who: app.update_live_session(sid, who, {"title": "mine now"}),
    "add_reminder": lambda app, sid, who: app.add_reminder(sid, who, 15),
    "remove_reminder": lambda app, sid, who: app.remove_reminder(sid, who, 15),
    "excuse": lambda app, sid, who: app.mark_attendance(sid, who, who, "excused"),
}


@pytest.mark.parametrize("action", MEMBER_REFUSED)
def test_B3_3_a_member_asking_for_a_teachers_action_is_forbidden(lesson: Lesson, action: str) -> None:
    version = lesson.session().version
    with pytest.raises(OwnerOnlyError) as refused:
        MEMBER_REFUSED[action](lesson.app, lesson.session_id, lesson.a)
    assert (refused.value.code, refused.value.message) == (
        "live_session.owner_only", "Only the teacher can manage this session.",
    )  # fmt: skip
    assert lesson.session().version == version


def test_B3_4_a_member_asking_for_the_attendance_report_is_forbidden(lesson: Lesson) -> None:
    with pytest.raises(ForbiddenError) as refused:
        lesson.app.attendance_report(lesson.session_id, lesson.a)
    assert (refused.value.code, refused.value.message) == (
        "attendance.teacher_only", "Only the teacher can view attendance",
    )  # fmt: skip


def test_B3_5_an_active_member_may_register_and_join(lesson: Lesson) -> None:
    lesson.app.register(lesson.session_id, lesson.a)
    lesson.start(0)
    lesson.join(lesson.a, 1)
    assert lesson.record(lesson.a).status == "attended"


def test_B3_5_a_paused_member_may_not_join(lesson: Lesson) -> None:
    lesson.start(0)
    lesson.app.change_member(lesson.classroom_id, lesson.a, "paused")
    with pytest.raises(LiveSessionNotFoundError):
        lesson.join(lesson.a, 1)
    assert lesson.record(lesson.a) is None


def test_B3_6_the_teacher_joining_their_live_session_is_not_tracked(lesson: Lesson) -> None:
    lesson.start(0)
    lesson.app.join(lesson.session_id, lesson.teacher, at=minute(1))
    lesson.app.register(lesson.session_id, lesson.teacher)
    lesson.app.leave(lesson.session_id, lesson.teacher, at=minute(9))
    assert lesson.session().attendance == {}
