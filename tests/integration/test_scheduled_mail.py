"""A scheduled scenario end to end: three sessions, two mail schedulers, registrations confirmed, the clock
advanced; dispatchers send exactly the due mails, once, on ``notifications.outgoing.v1``; the read models
equal a rebuild from the event store."""

from __future__ import annotations

import json
import threading
from collections import Counter
from datetime import timedelta
from zoneinfo import ZoneInfo

from consumers.dispatcher import Dispatcher
from domain.eventsessions.mail_intervals import MailRule
from domain.eventsessions.mail_schedule import copy_id
from domain.eventsessions.seats import RegistrationState
from infra.rebuild import verify
from producers import topics
from projections.catalogue import LIVE_SCHEMA, PROJECTIONS
from tests.support.database import read_row
from tests.support.kafka import all_records
from tests.support.waiting import wait_for


def _notifications(container) -> list[dict]:
    return [json.loads(r.value) for r in all_records(container, topics.NOTIFICATIONS_OUTGOING)]


def _of_event(container, event_id) -> list[dict]:
    return [n for n in _notifications(container) if n.get("event_id") == str(event_id)]  # other contexts have none


def _race(dispatchers: list[Dispatcher], at) -> list:
    """Runs the dispatchers at the same instant, in parallel; returns every send they recorded."""
    reports: list = []
    barrier = threading.Barrier(len(dispatchers))

    def body(d: Dispatcher) -> None:
        barrier.wait()
        reports.append(d.dispatch(at))

    threads = [threading.Thread(target=body, args=(d,)) for d in dispatchers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return [sent for r in reports for sent in r.sent]


def test_three_sessions_two_schedulers_each_due_mail_is_sent_exactly_once(app, container):
    now = container.clock.now()
    event = app.create_event(
        name="Scheduled",
        use_sessions=True,
        seats_limited=True,
        seats_max=10,
        date_tz="Europe/Brussels",
        mail_schedulers=[
            MailRule("after_sub", "now", 0, "Registration"),
            MailRule("before_event", "days", 1, "Reminder"),
        ],
    )
    begins = [now + timedelta(days=d) for d in (2, 4, 6)]
    sessions = [app.add_session(event.id, date_begin=b, date_end=b + timedelta(hours=2)).id for b in begins]
    parent = app.get_event(event.id)
    after_sub = parent.scheduler_ids("after_sub")[0]
    reminder = parent.scheduler_ids("before_event")[0]

    confirmed = {}
    for i, session_id in enumerate(sessions):
        people = [
            app.register(event_id=event.id, session_id=session_id, name=f"p{i}{j}", email=f"p{i}{j}@example.org")
            for j in range(3)
        ]
        for person in people[:2]:
            app.change_registration_state(person.id, RegistrationState.OPEN)
        app.change_registration_state(people[2].id, RegistrationState.CANCEL) if i == 0 else None
        confirmed[session_id] = [p.id for p in people[:2]]

    # after_sub with "now": the service's own dispatcher mails each confirmed attendee right away.
    wait_for(lambda: len(_of_event(container, event.id)) >= 6, timeout=60)

    # Two days minus twelve hours later: only the first session's reminder (due one day before) is due.
    at = begins[0] - timedelta(hours=12)
    schedule = copy_id(reminder, sessions[0])
    wait_for(lambda: read_row(container, f"SELECT 1 FROM {LIVE_SCHEMA}.mail_schedules WHERE id = %s", schedule))
    dispatchers = [container.dispatcher() for _ in range(3)]
    sent = _race(dispatchers, at)
    assert [s.item_id for s in sent] == [str(schedule)]
    assert _race(dispatchers, at) == []  # nothing is due twice

    # Four days later: the second session's reminder; the first is not sent again, the third not yet.
    later = begins[1] - timedelta(hours=3)
    sent = _race(dispatchers, later)
    assert [s.item_id for s in sent] == [str(copy_id(reminder, sessions[1]))]

    wait_for(lambda: len(_of_event(container, event.id)) >= 8, timeout=30)
    published = _of_event(container, event.id)
    by_id = Counter(n["notification_id"] for n in published)
    assert all(count == 1 for count in by_id.values()), by_id
    welcome = [n for n in published if n["kind"] == "eventsessions.mail.after_sub"]
    assert sorted(n["subject_id"] for n in welcome) == sorted(str(r) for rs in confirmed.values() for r in rs)
    assert {n["scheduler_id"] for n in welcome} == {str(after_sub)}
    reminders = sorted(
        (n for n in published if n["kind"] == "eventsessions.mail.before_event"), key=lambda n: n["data"]["date_begin"]
    )
    assert [n["session_id"] for n in reminders] == [str(s) for s in sessions[:2]]
    # Every registration not cancelled gets the reminder; the first session had one cancelled.
    assert [len(n["recipients"]) for n in reminders] == [2, 3]
    # 12 hours ahead: "today" or "tomorrow" depending on the local calendar days of the dispatch and the start.
    brussels = ZoneInfo("Europe/Brussels")
    days_ahead = (begins[0].astimezone(brussels).date() - at.astimezone(brussels).date()).days
    assert reminders[0]["data"]["date_range"] == {0: "today", 1: "tomorrow"}[days_ahead]
    assert app.get_mail_schedule(schedule).mail_count_done == 2  # the taken seats, as Odoo counts

    for projection in PROJECTIONS.values():
        assert verify(app, container.pool, projection, settle_seconds=10) == [], projection.name


def test_a_reminder_missed_because_the_session_ended_is_never_sent(app, container):
    now = container.clock.now()
    event = app.create_event(
        name="Missed", use_sessions=True, mail_schedulers=[MailRule("before_event", "hours", 1, "Reminder")]
    )
    session = app.add_session(event.id, date_begin=now + timedelta(days=1), date_end=now + timedelta(days=1, hours=1))
    schedule = copy_id(app.get_event(event.id).scheduler_ids()[0], session.id)
    wait_for(lambda: read_row(container, f"SELECT 1 FROM {LIVE_SCHEMA}.mail_schedules WHERE id = %s", schedule))
    dispatcher = container.dispatcher()
    assert [d.item_id for d in dispatcher.dispatch(now + timedelta(days=2)).sent] == []
    copy = app.get_mail_schedule(schedule)
    assert copy.mail_done is False and copy.mail_state == "scheduled"
