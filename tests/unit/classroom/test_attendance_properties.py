"""Properties of attendance under any delivery order (B.4.1, B.4.9, CL-1, CL-3, CL-4).

The truth is a set of presence marks for one student, each an instant and a kind, at distinct instants.
At any second the student is connected iff the latest mark at or before it is a join (B.4.4 and B.4.8
make a redundant mark change nothing), so the connected time is a union of intervals, measured here
directly from the sorted marks, independently of the implementation's replay.  The marks are delivered
in any order, some twice, with the room finishing at any point of the delivery.
"""

from __future__ import annotations

import contextlib
import math
from datetime import datetime, timedelta, timezone
from uuid import UUID, uuid4

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.classroom.errors import SessionNotLiveError
from domain.classroom.live_session import BY_ROOM_FINISHED, LiveSession
from domain.classroom.presence import PresenceEvent
from tests.unit.classroom.lessons import Lesson

UTC = timezone.utc
BASE = datetime(2027, 3, 1, 18, tzinfo=UTC)
HORIZON = 3 * 3600  # seconds of the afternoon the marks fall in
TEACHER = UUID(int=1)
STUDENT = UUID(int=2)


def instant(seconds: int) -> datetime:
    return BASE + timedelta(seconds=seconds)


def connected_seconds(marks: list[tuple[int, bool]], start: float, end: float) -> int:
    """The measure of the union of connected time within ``[start, end)``."""
    ordered = sorted(marks)
    total = 0.0
    for i, (at, is_join) in enumerate(ordered):
        if is_join:
            following = ordered[i + 1][0] if i + 1 < len(ordered) else math.inf
            total += max(0.0, min(following, end) - max(at, start))
    return int(total)


@st.composite
def histories(draw):
    """(true marks, start, end, delivery order, position of room_finished in the delivery)."""
    instants = draw(st.lists(st.integers(0, HORIZON), max_size=14, unique=True))
    marks = [(at, draw(st.booleans())) for at in instants]
    duplicates = draw(st.lists(st.sampled_from(marks), max_size=4)) if marks else []
    delivery = draw(st.permutations(marks + duplicates))
    start = draw(st.integers(0, HORIZON // 2))
    end = draw(st.integers(start, HORIZON + 60))
    return marks, start, end, delivery, draw(st.integers(0, len(delivery)))


def new_session() -> LiveSession:
    return LiveSession(
        id=uuid4(), classroom_id=uuid4(), teacher_id=TEACHER, title="t", description="", scheduled_at=BASE,
        duration_minutes=60, timezone="UTC", session_type="video", meeting_url=None, meeting_id=None,
        meeting_password=None, materials=[], created_at=BASE, fingerprint="",
    )  # fmt: skip


def deliver(session: LiveSession, at: int, is_join: bool) -> None:
    if is_join:
        with contextlib.suppress(SessionNotLiveError):  # CL-4: a join at or after the completion, delivered after it
            session.join(STUDENT, instant(at), by_webhook=True)
    else:
        session.leave(STUDENT, instant(at))


@settings(max_examples=400, deadline=None)
@given(histories())
def test_B4_1_any_delivery_order_gives_the_floor_of_the_union_of_connected_time(history) -> None:
    marks, start, end, delivery, end_position = history
    session = new_session()
    session.start(instant(start), by=TEACHER)
    for position, (at, is_join) in enumerate(delivery):
        if position == end_position:
            session.end(instant(end), by=None, active_member_ids=[str(STUDENT)], trigger=BY_ROOM_FINISHED)
        deliver(session, at, is_join)
    if end_position == len(delivery):
        session.end(instant(end), by=None, active_member_ids=[str(STUDENT)], trigger=BY_ROOM_FINISHED)

    record = session.record(STUDENT)
    expected = connected_seconds(marks, start, end)
    assert record.closed_seconds == expected
    assert record.duration_minutes == expected // 60
    assert 0 <= record.duration_minutes * 60 <= end - start  # never negative, never above the elapsed time
    assert not record.connected  # B.4.9
    attended = any(is_join and at < end for at, is_join in marks)
    assert record.status == ("attended" if attended else "absent")


@st.composite
def live_histories(draw):
    instants = draw(st.lists(st.integers(0, HORIZON), min_size=1, max_size=14, unique=True))
    marks = [(at, draw(st.booleans())) for at in instants]
    return marks, draw(st.integers(0, HORIZON // 2)), draw(st.permutations(marks))


@settings(max_examples=300, deadline=None)
@given(live_histories())
def test_CL1_while_live_the_figures_do_not_depend_on_the_delivery_order(history) -> None:
    marks, start, delivery = history
    shuffled, in_order = new_session(), new_session()
    for session, sequence in ((shuffled, delivery), (in_order, sorted(marks))):
        session.start(instant(start), by=TEACHER)
        for at, is_join in sequence:
            deliver(session, at, is_join)
    mine, reference = shuffled.record(STUDENT), in_order.record(STUDENT)
    figures = ("status", "joined_at", "left_at", "closed_seconds", "open_since")
    assert [getattr(mine, f) for f in figures] == [getattr(reference, f) for f in figures]
    leaves = [at for at, is_join in marks if not is_join]
    assert mine.closed_seconds == connected_seconds(marks, start, max(leaves, default=start))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(histories())
def test_CL10_a_shuffled_webhook_batch_gives_the_union_of_connected_time(lesson: Lesson, history) -> None:
    marks, start, end, delivery, end_position = history
    session_id = lesson.app.schedule_live_session(lesson.classroom_id, actor_id=lesson.teacher, title="p",
                                                  scheduled_at=BASE).id  # fmt: skip
    events = [PresenceEvent("participant_joined", instant(start), lesson.teacher)]  # the host opens the room
    events += [
        PresenceEvent("participant_joined" if is_join else "participant_left", instant(at), lesson.a)
        for at, is_join in delivery
    ]
    events.insert(1 + end_position, PresenceEvent("room_finished", instant(end)))
    lesson.app.apply_presence(session_id, events)
    record = lesson.app.get_live_session(session_id).record(lesson.a)
    assert record.closed_seconds == connected_seconds(marks, start, end)
    report = lesson.app.attendance_report(session_id, lesson.teacher)
    assert {r.student_id: r.duration_minutes for r in report.attendance}[lesson.a] == record.closed_seconds // 60
