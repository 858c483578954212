"""Live session reminders against the real PostgreSQL and Kafka (B.5): the due query's SQL equals the
domain's rule on the same cases, the spec's tick examples (the 60-minute reminder at the 17:00 tick, the
outage, late but sent), racing dispatchers sending each reminder once on notifications.outgoing.v1, and a
reschedule re-arming a sent reminder."""

from __future__ import annotations

import itertools
import json
import secrets
import threading
from collections import Counter
from datetime import datetime, timedelta, timezone
from uuid import UUID, uuid4

from psycopg import sql

from consumers.dispatcher import Dispatcher
from domain.classroom.reminders import is_due
from infra.api.context import read
from producers import topics
from projections.base import create_tables
from projections.catalogue import DUE_QUERIES
from projections.classroom.due import due_reminders
from projections.classroom.live_sessions import LiveSessionsProjection
from projections.due import all_due
from tests.integration.classroom_support import members_settled, new_lesson, session_row
from tests.support.kafka import all_records
from tests.support.waiting import wait_for


def unique_start() -> datetime:
    """A lesson start no other test uses: a random day far ahead, at 18:00 UTC."""
    return datetime(2040, 1, 1, 18, tzinfo=timezone.utc) + timedelta(days=secrets.randbelow(200_000))


def at(start: datetime, hh_mm: str) -> datetime:
    """``"17:00"`` on the lesson's day (``"-1 17:00"``: the day before)."""
    days, _, clock = hh_mm.rpartition(" ")
    hours, minutes = (int(x) for x in clock.split(":"))
    return start.replace(hour=hours, minute=minutes) + timedelta(days=int(days or 0))


def sent_ids(dispatcher: Dispatcher, when: datetime, session_id: UUID) -> list[str]:
    return [s.item_id for s in dispatcher.dispatch(when).sent if s.item_id.startswith(str(session_id))]


def outgoing(container, session_id: UUID) -> list[dict]:
    found = [json.loads(r.value) for r in all_records(container, topics.NOTIFICATIONS_OUTGOING)]
    return [n for n in found if n.get("context") == "classroom" and n["session_id"] == str(session_id)]


def test_the_due_query_sql_equals_the_domains_is_due_on_the_same_cases(container):
    """B.5.1 in SQL (``projections.classroom.due``) against ``reminders.is_due``: every status, leads
    around the tick, sent or not, ticks before, at and after the due time and the start."""
    start = datetime(2031, 5, 4, 18, tzinfo=timezone.utc)
    cases = list(itertools.product(
        ("scheduled", "live", "completed", "cancelled"), (1, 30, 35, 60, 1440), (None, start - timedelta(hours=3)),
        (timedelta(0), timedelta(seconds=59)),
    ))  # fmt: skip
    ticks = [start + timedelta(minutes=m) for m in (-1500, -1441, -1440, -61, -60, -59, -36, -35, -31, -30, -1, 0, 5)]
    ticks += [start - timedelta(seconds=1), start + timedelta(seconds=58), start + timedelta(seconds=59)]
    schema = f"due_check_{secrets.token_hex(4)}"
    rows = {}
    with container.pool.connection() as conn, conn.transaction():
        cur = conn.cursor()
        create_tables(cur, schema, LiveSessionsProjection())
        for status, minutes, sent_at, shift in cases:
            sid, scheduled_at = uuid4(), start + shift
            rows[(sid, minutes)] = (status, scheduled_at, minutes, sent_at)
            cur.execute(
                "INSERT INTO classroom_live_sessions (id, version, classroom_id, teacher_id, title, description,"
                " scheduled_at, duration_minutes, timezone, session_type, status, has_meeting_password, materials,"
                " created_at) VALUES (%s, 1, %s, %s, 't', '', %s, 60, 'UTC', 'video', %s, false, '[]', %s)",
                (sid, uuid4(), uuid4(), scheduled_at, status, start),
            )
            cur.execute(
                "INSERT INTO classroom_live_session_reminders (session_id, minutes, due_at, sent_at)"
                " VALUES (%s, %s, %s, %s)",
                (sid, minutes, scheduled_at - timedelta(minutes=minutes), sent_at),
            )
    due_cases = 0
    try:
        for tick in ticks:
            with container.pool.connection() as conn:
                cur = conn.cursor()
                cur.execute(sql.SQL("SET LOCAL search_path TO {}").format(sql.Identifier(schema)))
                by_sql = {(r["session_id"], r["minutes"]) for r in due_reminders(cur, tick, 10_000)}
            by_rule = {
                key for key, (status, scheduled_at, minutes, sent_at) in rows.items()
                if is_due(status=status, scheduled_at=scheduled_at, remind_before_minutes=minutes, sent_at=sent_at,
                          now=tick)
            }  # fmt: skip
            assert by_sql == by_rule, tick
            due_cases += len(by_rule)
        assert due_cases > 20  # the grid is not vacuous
    finally:
        with container.pool.connection() as conn, conn.transaction():
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))


def test_B5_5_a_60_minute_reminder_fires_at_the_1700_tick_and_the_30_minute_one_at_1730(container):
    app = container.classroom
    start = unique_start()
    lesson = new_lesson(app, students=2, scheduled_at=start, reminders=[30, 60])
    session_row(container, lesson.session_id, 3)
    dispatcher = container.dispatcher()
    sid = lesson.session_id
    fired = {tick: sent_ids(dispatcher, at(start, tick), sid) for tick in ("16:55", "17:00")}
    assert fired == {"16:55": [], "17:00": [f"{sid}:60"]}  # not 17:25: there is no 35-minute cap
    session_row(container, sid, 4)
    fired = {tick: sent_ids(dispatcher, at(start, tick), sid) for tick in ("17:25", "17:30", "17:55", "18:00")}
    assert fired == {"17:25": [], "17:30": [f"{sid}:30"], "17:55": [], "18:00": []}
    view = app.live_session_view(sid, lesson.teacher)
    assert [(r.minutes, r.sent_at) for r in view.reminders] == [(30, at(start, "17:30")), (60, at(start, "17:00"))]
    notes = wait_for(lambda: outgoing(container, sid) if len(outgoing(container, sid)) >= 2 else None)
    assert sorted((n["minutes"], n["title"], n["body"]) for n in notes) == [
        (30, "Session in 30 min: Modal verbs", "Join at 18:00"),
        (60, "Session in 60 min: Modal verbs", "Join at 18:00"),
    ]


def test_B5_4_an_outage_over_the_whole_window_means_the_reminder_is_never_sent(container):
    app = container.classroom
    start = unique_start()
    lesson = new_lesson(app, students=2, scheduled_at=start, reminders=[60])
    session_row(container, lesson.session_id, 2)
    dispatcher = container.dispatcher()
    assert sent_ids(dispatcher, at(start, "16:55"), lesson.session_id) == []
    # every tick from 17:00 to 17:55 is missed; the service is back at the start
    assert sent_ids(dispatcher, at(start, "18:00"), lesson.session_id) == []
    assert sent_ids(dispatcher, at(start, "18:05"), lesson.session_id) == []
    assert app.live_session_view(lesson.session_id, lesson.teacher).reminders[0].sent_at is None


def test_B5_4_a_reminder_added_after_its_due_time_is_late_but_sent_and_never_after_the_start(container):
    app = container.classroom
    start = unique_start()
    lesson = new_lesson(app, students=1, scheduled_at=start)
    added = app.add_reminder(lesson.session_id, lesson.teacher, 60)
    session_row(container, lesson.session_id, added.version)
    dispatcher = container.dispatcher()
    assert sent_ids(dispatcher, at(start, "17:55"), lesson.session_id) == [f"{lesson.session_id}:60"]
    started = new_lesson(app, students=1, scheduled_at=start, reminders=[30])
    app.start(started.session_id, started.teacher, at=at(start, "17:20"))
    session_row(container, started.session_id, 3)
    assert sent_ids(dispatcher, at(start, "17:35"), started.session_id) == []  # started: never


def test_three_racing_dispatchers_send_each_reminder_once_to_the_members_active_then(container):
    app = container.classroom
    start = unique_start()
    lesson = new_lesson(app, students=4, scheduled_at=start, reminders=[30, 60, 1440])
    app.change_member(lesson.classroom_id, lesson.students[3], "paused")
    session_row(container, lesson.session_id, 4)
    dispatchers = [container.dispatcher() for _ in range(3)]
    barrier = threading.Barrier(3)
    sent: list = []

    def race(d: Dispatcher) -> None:
        barrier.wait()
        sent.extend(s for s in d.dispatch(at(start, "17:30")).sent if s.item_id.startswith(str(lesson.session_id)))

    threads = [threading.Thread(target=race, args=(d,)) for d in dispatchers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(s.item_id for s in sent) == sorted(f"{lesson.session_id}:{m}" for m in (30, 60, 1440))
    notes = wait_for(
        lambda: outgoing(container, lesson.session_id) if len(outgoing(container, lesson.session_id)) >= 3 else None
    )
    assert Counter(n["minutes"] for n in notes) == {30: 1, 60: 1, 1440: 1}
    assert len({n["notification_id"] for n in notes}) == 3
    active = sorted(str(s) for s in lesson.students[:3])
    for note in notes:
        assert sorted(r["student_id"] for r in note["recipients"]) == active  # the paused one is not reminded
        assert (note["kind"], note["template"], note["context"]) == (
            "live_session_reminder",
            "session_reminder",
            "classroom",
        )
        assert note["data"] == {"session_id": str(lesson.session_id), "classroom_id": str(lesson.classroom_id)}
    assert sent_ids(dispatchers[0], at(start, "17:31"), lesson.session_id) == []


def test_B5_7_a_reschedule_re_arms_a_sent_reminder_and_it_is_due_again(container):
    app = container.classroom
    start = unique_start()
    lesson = new_lesson(app, students=2, scheduled_at=start, reminders=[60])
    sid = lesson.session_id
    session_row(container, sid, 2)
    dispatcher = container.dispatcher()
    assert sent_ids(dispatcher, at(start, "17:00"), sid) == [f"{sid}:60"]
    moved = app.update_live_session(sid, lesson.teacher, {"scheduled_at": start + timedelta(hours=1)})
    row = session_row(container, sid, moved.version)
    assert row["reminders"] == [{"minutes": 60, "due_at": at(start, "18:00"), "sent_at": None}]
    members_settled(container, lesson.classroom_id, 1 + len(lesson.students))
    due = read(container, lambda cur: all_due(cur, DUE_QUERIES, at(start, "18:00"), 1000))
    [item] = [i for i in due if i.subject_id == sid]
    assert (item.kind, item.id, item.due_at) == ("live_session_reminder", f"{sid}:60", at(start, "18:00"))
    assert sorted(r["student_id"] for r in item.recipients) == sorted(str(s) for s in lesson.students)
    assert sent_ids(dispatcher, at(start, "17:30"), sid) == []
    assert sent_ids(dispatcher, at(start, "18:00"), sid) == [f"{sid}:60"]
    notes = wait_for(lambda: outgoing(container, sid) if len(outgoing(container, sid)) >= 2 else None)
    assert [n["body"] for n in sorted(notes, key=lambda n: n["version"])] == ["Join at 18:00", "Join at 19:00"]
