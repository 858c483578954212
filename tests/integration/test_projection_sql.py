"""Each event-sessions read model's SQL on the real PostgreSQL, fed messages directly (no Kafka, no relay).

Messages come from an in-memory application through the relay's mapping and each topic's decoder;
the expected rows are written out by hand from what the commands did.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.eventsessions.mail_intervals import MailRule
from domain.eventsessions.mail_schedule import copy_id
from domain.eventsessions.seats import RegistrationState
from producers.eventsessions import topics
from projections.eventsessions import attendance, mail_schedulers, registrations
from projections.eventsessions.attendance import AttendanceProjection
from projections.eventsessions.event_dates import EventDatesProjection, get_event_dates
from projections.eventsessions.events import EventsProjection, get_event
from projections.eventsessions.mail_schedulers import MailSchedulersProjection
from projections.eventsessions.registrations import RegistrationsProjection
from projections.eventsessions.seat_availability import SeatAvailabilityProjection, get_session
from tests.support.eventsessions import BEGIN, NOW, in_memory
from tests.support.projections import Scratch, published

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


@pytest.fixture(scope="module")
def pool(container_factory):
    return container_factory().pool


def test_seat_availability_holds_each_sessions_figures_dates_and_state(pool):
    app = in_memory()
    event = app.create_event(name="Seats", use_sessions=True, seats_limited=True, seats_max=3).id
    first = app.add_session(event, date_begin=BEGIN, date_end=BEGIN + 2 * HOUR).id
    second = app.add_session(event, date_begin=BEGIN + DAY, date_end=BEGIN + DAY + HOUR).id
    a = app.register(event_id=event, session_id=first, name="A", email="a@example.org", state="open").id
    app.register(event_id=event, session_id=first, name="B", email="b@example.org")
    app.register(event_id=event, session_id=second, name="C", email="c@example.org", state="done")
    app.change_registration_state(a, RegistrationState.CANCEL)
    app.update_session(first, {"date_begin": BEGIN + HOUR, "stage_id": 2, "kanban_state": "blocked"})
    app.update_session(second, {"active": False})
    app.update_event(event, {"seats_max": 5})
    scratch = Scratch(pool, SeatAvailabilityProjection())

    scratch.feed(SeatAvailabilityProjection(), published(app, [topics.SESSIONS]))

    with scratch.cursor() as cur:
        rows = {s: get_session(cur, s) for s in (first, second)}
    columns = (
        "date_begin",
        "date_end",
        "active",
        "stage_id",
        "kanban_state",
        "seats_limited",
        "seats_max",
        "seats_unconfirmed",
        "seats_reserved",
        "seats_used",
        "version",
    )
    assert {s: tuple(r[c] for c in columns) for s, r in rows.items()} == {
        first: (BEGIN + HOUR, BEGIN + 2 * HOUR, True, 2, "blocked", True, 5, 1, 0, 0, app.get_session(first).version),
        second: (
            BEGIN + DAY,
            BEGIN + DAY + HOUR,
            False,
            1,
            "normal",
            True,
            5,
            0,
            0,
            1,
            app.get_session(second).version,
        ),
    }


def test_event_dates_follow_the_active_sessions_and_keep_their_last_values(pool):
    app = in_memory()
    event = app.create_event(name="Dates", use_sessions=True).id
    first = app.add_session(event, date_begin=BEGIN, date_end=BEGIN + HOUR).id
    second = app.add_session(event, date_begin=BEGIN + DAY, date_end=BEGIN + DAY + 3 * HOUR).id
    third = app.add_session(event, date_begin=BEGIN - DAY, date_end=BEGIN - DAY + HOUR).id
    app.update_session(third, {"active": False})  # archived: out of the dates and the count
    scratch = Scratch(pool, EventDatesProjection())
    scratch.feed(EventDatesProjection(), published(app, [topics.SESSIONS]))
    with scratch.cursor() as cur:
        assert get_event_dates(cur, event) == {
            "date_begin": BEGIN,
            "date_end": BEGIN + DAY + 3 * HOUR,
            "session_count": 2,
        }

    app.delete_session(second)
    app.update_session(first, {"active": False})
    scratch.feed(EventDatesProjection(), published(app, [topics.SESSIONS]))  # the new ones only: the rest are seen
    with scratch.cursor() as cur:
        # No active session left: the dates keep their last values (§6.7), the count is 0.
        assert get_event_dates(cur, event) == {"date_begin": BEGIN, "date_end": BEGIN + HOUR, "session_count": 0}
    assert scratch.rows(f"SELECT id FROM event_date_sessions WHERE event_id = '{event}' ORDER BY date_begin") == [
        (third,),
        (first,),
    ]


def test_events_hold_details_capacity_and_the_ledger_of_an_event_without_sessions(pool):
    app = in_memory()
    event = app.create_event(
        name="Regular",
        date_begin=BEGIN,
        date_end=BEGIN + HOUR,
        seats_limited=True,
        seats_max=4,
        date_tz="Europe/Brussels",
    ).id
    app.register(event_id=event, name="A", email="a@example.org", state="open")
    app.register(event_id=event, name="B", email="b@example.org", state="done")
    app.register(event_id=event, name="C", email="c@example.org")
    app.update_event(event, {"name": "Regular, renamed", "seats_max": 6, "date_end": BEGIN + 2 * HOUR})
    scratch = Scratch(pool, EventsProjection())

    scratch.feed(EventsProjection(), published(app, [topics.EVENTS]))

    with scratch.cursor() as cur:
        row = get_event(cur, event)
    assert row is not None
    assert {
        k: row[k]
        for k in (
            "name",
            "date_tz",
            "use_sessions",
            "seats_limited",
            "seats_max",
            "date_begin",
            "date_end",
            "stage_id",
            "seats_unconfirmed",
            "seats_reserved",
            "seats_used",
        )
    } == {
        "name": "Regular, renamed",
        "date_tz": "Europe/Brussels",
        "use_sessions": False,
        "seats_limited": True,
        "seats_max": 6,
        "date_begin": BEGIN,
        "date_end": BEGIN + 2 * HOUR,
        "stage_id": 1,
        "seats_unconfirmed": 1,
        "seats_reserved": 1,
        "seats_used": 1,
    }
    assert row["version"] == app.get_event(event).version


def test_registrations_and_attendance_follow_states_and_moves(pool):
    app = in_memory()
    event = app.create_event(name="People", use_sessions=True).id
    first = app.add_session(event, date_begin=BEGIN, date_end=BEGIN + HOUR).id
    second = app.add_session(event, date_begin=BEGIN + DAY, date_end=BEGIN + DAY + HOUR).id
    ada = app.register(event_id=event, session_id=first, name="Ada", email="ada@example.org").id
    bo = app.register(event_id=event, session_id=first, name="Bo", email="bo@example.org", state="open").id
    app.change_registration_state(ada, RegistrationState.DONE)
    app.move_registration(bo, second)
    scratch = Scratch(pool, RegistrationsProjection(), AttendanceProjection())
    messages = published(app, [topics.REGISTRATIONS])

    scratch.feed(RegistrationsProjection(), messages)
    scratch.feed(AttendanceProjection(), messages)

    with scratch.cursor() as cur:
        listed = registrations.list_registrations(cur, event_id=event)
        by_session = {s: attendance.attendees(cur, s) for s in (first, second)}
    # Same creation instant (a frozen clock): the list is then ordered by id.
    assert sorted((r["name"], r["session_id"], r["state"], r["date_closed"]) for r in listed) == [
        ("Ada", first, "done", NOW),
        ("Bo", second, "open", None),
    ]
    assert by_session[first]["counts"] == {"draft": 0, "open": 0, "done": 1, "cancel": 0}
    assert by_session[second]["counts"] == {"draft": 0, "open": 1, "done": 0, "cancel": 0}
    assert [r["name"] for r in by_session[second]["attendees"]["open"]] == ["Bo"]


def test_mail_schedules_hold_each_copy_and_its_attendees(pool):
    app = in_memory()
    event = app.create_event(
        name="Mail",
        use_sessions=True,
        mail_schedulers=[
            MailRule("after_sub", "hours", 2, "Welcome"),
            MailRule("before_event", "days", 1, "Reminder"),
        ],
    ).id
    session = app.add_session(event, date_begin=BEGIN, date_end=BEGIN + HOUR).id
    parent = app.get_event(event)
    welcome, reminder = parent.scheduler_ids("after_sub")[0], parent.scheduler_ids("before_event")[0]
    ada = app.register(event_id=event, session_id=session, name="Ada", email="ada@example.org", state="open").id
    app.send_scheduled_mail(copy_id(reminder, session), at=BEGIN - HOUR)
    app.update_mail_scheduler(welcome, {"interval_nbr": 3})
    scratch = Scratch(pool, RegistrationsProjection(), MailSchedulersProjection())
    scratch.feed(RegistrationsProjection(), published(app, [topics.REGISTRATIONS]))

    scratch.feed(MailSchedulersProjection(), published(app, [topics.MAIL]))

    with scratch.cursor() as cur:
        copies = mail_schedulers.of_owner(cur, session_id=session)
        due = mail_schedulers.due(cur, NOW + 3 * HOUR)
    assert [
        (
            c["id"],
            c["template"],
            c["interval_nbr"],
            c["scheduled_date"],
            c["mail_done"],
            c["mail_count_done"],
            c["mail_state"],
        )
        for c in copies
    ] == [  # by scheduled date
        (copy_id(welcome, session), "Welcome", 3, NOW + 3 * HOUR, False, 0, "running"),
        (copy_id(reminder, session), "Reminder", 1, BEGIN - DAY, True, 1, "sent"),
    ]
    assert scratch.rows("SELECT schedule_id, registration_id, scheduled_date, sent FROM mail_attendees") == [
        (copy_id(welcome, session), ada, NOW + 3 * HOUR, False)  # Q14: the attendee's date moved with the number
    ]
    assert [(d["schedule_id"], d["registration_id"], d["due_at"], d["recipients"]) for d in due] == [
        (
            copy_id(welcome, session),
            ada,
            NOW + 3 * HOUR,
            [{"registration_id": str(ada), "name": "Ada", "email": "ada@example.org"}],
        )
    ]


def test_a_message_applied_twice_counts_once_and_a_gap_is_recorded(pool):
    app = in_memory()
    event = app.create_event(name="Twice", use_sessions=True, seats_limited=True, seats_max=9).id
    session = app.add_session(event, date_begin=BEGIN, date_end=BEGIN + HOUR).id
    for name in ("A", "B", "C"):
        app.register(event_id=event, session_id=session, name=name, email=f"{name}@example.org", state="open")
    scheduled, *seats = published(app, [topics.SESSIONS])
    scratch = Scratch(pool, SeatAvailabilityProjection())
    projection = SeatAvailabilityProjection()

    assert scratch.feed(projection, [scheduled, scheduled, seats[0]]) == [scheduled, seats[0]]
    assert scratch.feed(projection, [seats[0], scheduled]) == []  # seen before: nothing applied
    assert scratch.feed(projection, [seats[2]]) == [seats[2]]  # version 4 after 2: applied, and a gap noted

    assert scratch.rows("SELECT seats_reserved, version FROM session_seats") == [(3, 4)]
    assert scratch.rows("SELECT aggregate_id, expected, received FROM projection_gaps") == [(session, 3, 4)]
