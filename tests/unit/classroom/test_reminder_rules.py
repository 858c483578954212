"""Reminders (B.1.2, B.1.3, B.5) and our decisions on sending and removing them (CL-11 to CL-13, CL-19).

The dispatcher ticks every 5 minutes; a tick is ``record_reminder_sent(session, minutes, at=tick)`` for
each reminder the due rule lists at that tick (``due_reminders``).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from uuid import uuid4

import pytest

from domain.classroom.application import Classrooms
from domain.classroom.errors import DuplicateReminderError, ReminderAlreadySentError, ReminderNotFoundError
from domain.classroom.reminders import is_due
from domain.shared.clock import FrozenClock
from domain.shared.errors import InvalidInputError
from tests.unit.classroom.lessons import NOW, START, Lesson, new_lesson

UTC = timezone.utc


def at(hh: int, mm: int) -> datetime:
    return datetime(2027, 3, 1, hh, mm, tzinfo=UTC)


def ticks(first: datetime, last: datetime) -> list[datetime]:
    """Every 5-minute tick from ``first`` to ``last`` inclusive."""
    return [first + timedelta(minutes=5 * i) for i in range(int((last - first) / timedelta(minutes=5)) + 1)]


def run_ticks(lesson: Lesson, instants: list[datetime]) -> dict[int, datetime]:
    """The dispatcher: at each tick, sends what is due; answers lead time -> tick it was sent at."""
    sent = {}
    for tick in instants:
        for minutes in lesson.app.due_reminders(lesson.session_id, tick):
            if lesson.app.record_reminder_sent(lesson.session_id, minutes, tick).sent:
                sent[minutes] = tick
    return sent


@pytest.fixture
def lesson_with_reminders(app: Classrooms, clock: FrozenClock) -> Lesson:
    return new_lesson(app, clock, reminders=[60, 30])


def sent_events(lesson: Lesson) -> list:
    return [e for e in lesson.app.events.get(lesson.session_id) if type(e).__name__ == "ReminderSent"]


# -- B.1.2, B.1.3 ------------------------------------------------------------------------------------


@pytest.mark.parametrize("minutes", [0, -30])
def test_B1_2_a_reminder_of_less_than_one_minute_is_invalid(lesson: Lesson, minutes: int) -> None:
    with pytest.raises(InvalidInputError) as refused:
        lesson.app.add_reminder(lesson.session_id, lesson.teacher, minutes)
    assert refused.value.code == "reminder.minutes.invalid"
    with pytest.raises(InvalidInputError):
        lesson.app.schedule_live_session(lesson.classroom_id, actor_id=lesson.teacher, title="x",
                                         scheduled_at=START, reminders=[minutes])  # fmt: skip


def test_B1_2_a_one_minute_reminder_is_accepted(lesson: Lesson) -> None:
    lesson.app.add_reminder(lesson.session_id, lesson.teacher, 1)
    assert [r.minutes for r in lesson.session().reminders] == [1]


def test_B1_3_a_second_reminder_with_the_same_lead_time_is_a_duplicate(lesson_with_reminders: Lesson) -> None:
    lesson = lesson_with_reminders
    with pytest.raises(DuplicateReminderError) as refused:
        lesson.app.add_reminder(lesson.session_id, lesson.teacher, 30)
    assert refused.value.code == "reminder.duplicate"


def test_B1_3_a_create_listing_a_lead_time_twice_is_a_duplicate(lesson: Lesson) -> None:
    with pytest.raises(DuplicateReminderError):
        lesson.app.schedule_live_session(lesson.classroom_id, actor_id=lesson.teacher, title="x",
                                         scheduled_at=START, reminders=[30, 30])  # fmt: skip


# -- B.5.1 the due rule ------------------------------------------------------------------------------

SESSION_START = at(18, 0)


@pytest.mark.parametrize(
    ("status", "sent_at", "now", "due"),
    [
        ("scheduled", None, at(17, 30), True),  # exactly at its due time
        ("scheduled", None, at(17, 59), True),  # late, still before the start
        ("scheduled", None, at(17, 29), False),  # not yet
        ("scheduled", None, at(18, 0), False),  # the start itself: strictly before only
        ("scheduled", at(17, 30), at(17, 35), False),  # sent already
        ("live", None, at(17, 40), False),
        ("cancelled", None, at(17, 40), False),
        ("completed", None, at(17, 40), False),
    ],
)
def test_B5_1_the_due_rule(status: str, sent_at, now: datetime, due: bool) -> None:
    assert is_due(status=status, scheduled_at=SESSION_START, remind_before_minutes=30, sent_at=sent_at, now=now) is due


# -- B.5.2 - B.5.6 -----------------------------------------------------------------------------------


def test_B5_2_a_reminder_goes_to_the_members_active_at_that_moment_and_not_the_teacher(
    lesson_with_reminders: Lesson,
) -> None:
    lesson = lesson_with_reminders
    late_comer, waiting = uuid4(), uuid4()
    lesson.app.add_member(lesson.classroom_id, late_comer)  # active before the tick
    lesson.app.add_member(lesson.classroom_id, waiting, "pending")
    lesson.app.change_member(lesson.classroom_id, lesson.c, "paused")
    dispatch = lesson.app.record_reminder_sent(lesson.session_id, 60, at(17, 0))
    assert dispatch.sent
    expected = sorted(str(s) for s in (lesson.a, lesson.b, late_comer))
    assert dispatch.recipient_ids == expected
    [event] = sent_events(lesson)
    assert (event.recipient_ids, event.sent_at, event.minutes) == (expected, at(17, 0), 60)
    assert lesson.session().reminder(60).sent_at == at(17, 0)


def test_B5_3_a_reminder_is_sent_at_most_once(lesson_with_reminders: Lesson) -> None:
    lesson = lesson_with_reminders
    first = lesson.app.record_reminder_sent(lesson.session_id, 30, at(17, 30))
    second = lesson.app.record_reminder_sent(lesson.session_id, 30, at(17, 35))
    assert (first.sent, second.sent, second.reason) == (True, False, "reminder.already_sent")
    assert len(sent_events(lesson)) == 1
    assert lesson.session().reminder(30).sent_at == at(17, 30)


def test_B5_3_racing_dispatchers_send_a_reminder_once(lesson_with_reminders: Lesson, monkeypatch) -> None:
    """The other dispatcher records the sending between this one's load and its save."""
    lesson = lesson_with_reminders
    app = lesson.app
    original_save = app.save
    outcomes = []

    def save_after_the_rival(*aggregates, **kwargs):
        if not outcomes:
            monkeypatch.setattr(app, "save", original_save)
            outcomes.append(app.record_reminder_sent(lesson.session_id, 30, at(17, 30)))
        return original_save(*aggregates, **kwargs)

    monkeypatch.setattr(app, "save", save_after_the_rival)
    mine = app.record_reminder_sent(lesson.session_id, 30, at(17, 30))
    assert (outcomes[0].sent, mine.sent, mine.reason) == (True, False, "reminder.already_sent")
    assert len(sent_events(lesson)) == 1


def test_B5_4_a_reminder_fires_at_the_first_tick_at_or_after_its_due_time(app: Classrooms, clock) -> None:
    lesson = new_lesson(app, clock, reminders=[30, 12], scheduled_at=START)
    sent = run_ticks(lesson, ticks(at(17, 0), at(17, 55)))
    assert sent == {30: at(17, 30), 12: at(17, 50)}


def test_B5_4_a_reminder_never_fires_once_the_session_started(lesson_with_reminders: Lesson) -> None:
    lesson = lesson_with_reminders
    assert run_ticks(lesson, ticks(at(17, 0), at(17, 15))) == {60: at(17, 0)}
    lesson.app.start(lesson.session_id, lesson.teacher, at=at(17, 20))  # before the 30-minute one's due time
    assert run_ticks(lesson, ticks(at(17, 20), at(17, 55))) == {}
    assert lesson.session().reminder(30).sent_at is None


def test_B5_4_a_reminder_never_fires_once_the_session_is_cancelled(lesson_with_reminders: Lesson) -> None:
    lesson = lesson_with_reminders
    lesson.app.cancel(lesson.session_id, lesson.teacher, at=at(16, 0))
    assert run_ticks(lesson, ticks(at(16, 55), at(17, 55))) == {}
    assert lesson.app.record_reminder_sent(lesson.session_id, 30, at(17, 30)).reason == "reminder.not_due"


def test_B5_4_after_an_outage_through_the_start_a_reminder_is_never_sent(lesson_with_reminders: Lesson) -> None:
    lesson = lesson_with_reminders
    sent = run_ticks(lesson, ticks(at(16, 0), at(16, 55)) + ticks(at(18, 5), at(18, 30)))
    assert sent == {}


def test_B5_4_a_reminder_added_after_its_due_time_is_late_but_sent(lesson: Lesson) -> None:
    lesson.app.add_reminder(lesson.session_id, lesson.teacher, 60)  # due 17:00, added at 17:47
    assert run_ticks(lesson, ticks(at(17, 50), at(17, 55))) == {60: at(17, 50)}


def test_B5_5_a_sixty_minute_reminder_is_sent_at_the_1700_tick_not_1725(lesson_with_reminders: Lesson) -> None:
    lesson = lesson_with_reminders
    assert lesson.app.due_reminders(lesson.session_id, at(16, 55)) == []
    assert lesson.app.due_reminders(lesson.session_id, at(17, 0)) == [60]
    assert run_ticks(lesson, ticks(at(16, 55), at(17, 25))) == {60: at(17, 0)}


def test_B5_6_the_notification_text(app: Classrooms, clock) -> None:
    lesson = new_lesson(app, clock, title="Dative case", reminders=[30], scheduled_at=at(18, 45))
    app.record_reminder_sent(lesson.session_id, 30, at(18, 20))
    [event] = sent_events(lesson)
    assert event.title == "Session in 30 min: Dative case"
    assert event.body == "Join at 18:45"
    assert event.data == {"session_id": str(lesson.session_id), "classroom_id": str(lesson.classroom_id)}
    assert (event.notification_type, event.classroom_id) == ("session_reminder", lesson.classroom_id)


def test_CL12_the_time_in_the_text_is_utc_whatever_the_display_time_zone(app: Classrooms, clock) -> None:
    lesson = new_lesson(app, clock, reminders=[30], timezone="Europe/Berlin")  # 19:00 in Berlin
    app.record_reminder_sent(lesson.session_id, 30, at(17, 35))
    [event] = sent_events(lesson)
    assert event.body == "Join at 18:00"


# -- B.5.7 reschedule re-arms ------------------------------------------------------------------------


def test_B5_7_rescheduling_re_arms_the_sent_reminders_whose_new_due_time_is_ahead(
    lesson_with_reminders: Lesson, clock: FrozenClock
) -> None:
    lesson = lesson_with_reminders
    run_ticks(lesson, ticks(at(17, 0), at(17, 30)))  # both sent
    clock.set(at(17, 40))
    lesson.app.update_live_session(lesson.session_id, lesson.teacher, {"scheduled_at": at(18, 20)})
    # new due times: 60 -> 17:20 (passed: stays sent), 30 -> 17:50 (ahead: re-armed)
    assert lesson.session().reminder(60).sent_at == at(17, 0)
    assert lesson.session().reminder(30).sent_at is None
    assert run_ticks(lesson, ticks(at(17, 45), at(18, 15))) == {30: at(17, 50)}


def test_B5_7_a_reminder_re_armed_by_a_later_start_is_sent_again(lesson_with_reminders: Lesson, clock) -> None:
    lesson = lesson_with_reminders
    run_ticks(lesson, ticks(at(17, 0), at(17, 5)))  # 60 sent at 17:00
    clock.set(at(17, 10))
    lesson.app.update_live_session(lesson.session_id, lesson.teacher, {"scheduled_at": at(20, 0)})
    assert run_ticks(lesson, ticks(at(18, 55), at(19, 0))) == {60: at(19, 0)}
    assert len(sent_events(lesson)) == 2


def test_CL19_only_the_re_armed_sent_reminders_get_a_rearmed_event(lesson_with_reminders: Lesson, clock) -> None:
    lesson = lesson_with_reminders
    run_ticks(lesson, ticks(at(17, 0), at(17, 5)))
    clock.set(at(17, 10))
    lesson.app.update_live_session(lesson.session_id, lesson.teacher, {"scheduled_at": at(19, 0)})
    events = list(lesson.app.events.get(lesson.session_id))
    rescheduled = next(e for e in events if type(e).__name__ == "Rescheduled")
    assert rescheduled.reminders == [{"minutes": 30, "due_at": at(18, 30)}, {"minutes": 60, "due_at": at(18, 0)}]
    assert [(e.minutes, e.due_at) for e in events if type(e).__name__ == "ReminderRearmed"] == [(60, at(18, 0))]


# -- CL-11, CL-13 ------------------------------------------------------------------------------------


def test_CL11_a_reminder_that_is_not_due_is_not_recorded(lesson_with_reminders: Lesson) -> None:
    lesson = lesson_with_reminders
    dispatch = lesson.app.record_reminder_sent(lesson.session_id, 30, at(17, 25))
    assert (dispatch.sent, dispatch.reason) == (False, "reminder.not_due")
    assert sent_events(lesson) == []


def test_CL11_an_unknown_reminder_or_session_is_answered_not_raised(lesson_with_reminders: Lesson) -> None:
    lesson = lesson_with_reminders
    assert lesson.app.record_reminder_sent(lesson.session_id, 45, at(17, 30)).reason == "reminder.not_found"
    assert lesson.app.record_reminder_sent(uuid4(), 30, at(17, 30)).reason == "live_session.not_found"


def test_CL13_a_sent_reminder_cannot_be_removed(lesson_with_reminders: Lesson) -> None:
    lesson = lesson_with_reminders
    lesson.app.record_reminder_sent(lesson.session_id, 60, at(17, 0))
    with pytest.raises(ReminderAlreadySentError) as refused:
        lesson.app.remove_reminder(lesson.session_id, lesson.teacher, 60)
    assert refused.value.code == "reminder.already_sent"


def test_CL13_an_unsent_reminder_is_removed_and_an_unknown_one_is_not_found(lesson_with_reminders: Lesson) -> None:
    lesson = lesson_with_reminders
    lesson.app.remove_reminder(lesson.session_id, lesson.teacher, 30)
    assert [r.minutes for r in lesson.session().reminders] == [60]
    with pytest.raises(ReminderNotFoundError) as refused:
        lesson.app.remove_reminder(lesson.session_id, lesson.teacher, 30)
    assert refused.value.code == "reminder.not_found"


def test_CL13_a_patch_list_replaces_the_reminders(lesson_with_reminders: Lesson) -> None:
    lesson = lesson_with_reminders
    lesson.app.update_live_session(lesson.session_id, lesson.teacher, {"reminders": [1440, 60]})
    assert [r.minutes for r in lesson.session().reminders] == [60, 1440]


def test_CL13_a_patch_dropping_a_sent_reminder_changes_nothing(lesson_with_reminders: Lesson) -> None:
    lesson = lesson_with_reminders
    lesson.app.record_reminder_sent(lesson.session_id, 60, at(17, 0))
    version = lesson.session().version
    with pytest.raises(ReminderAlreadySentError):
        lesson.app.update_live_session(lesson.session_id, lesson.teacher, {"title": "New", "reminders": [30]})
    assert (lesson.session().version, lesson.session().title) == (version, "Modal verbs")


def test_CL11_the_clock_is_the_tick_when_none_is_given(lesson_with_reminders: Lesson, clock) -> None:
    lesson = lesson_with_reminders
    assert at(17, 0) > NOW
    clock.set(at(17, 3))
    assert lesson.app.record_reminder_sent(lesson.session_id, 60).sent
    assert lesson.session().reminder(60).sent_at == at(17, 3)
