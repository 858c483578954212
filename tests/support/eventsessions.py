"""Event-sessions scenarios for tests: an in-memory application, and one run of commands that records
every kind of event the context has (the mapping test checks each one has a published message)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from domain.eventsessions.application import EventSessions
from domain.eventsessions.mail_intervals import MailRule
from domain.eventsessions.mail_schedule import copy_id
from domain.eventsessions.seats import RegistrationState
from domain.shared.clock import FrozenClock

NOW = datetime(2027, 1, 10, 8, tzinfo=timezone.utc)
BEGIN = datetime(2027, 2, 1, 9, tzinfo=timezone.utc)


def in_memory(clock: FrozenClock | None = None) -> EventSessions:
    return EventSessions(env={"PERSISTENCE_MODULE": "eventsourcing.popo"}, clock=clock or FrozenClock(NOW))


def every_event(app: EventSessions) -> EventSessions:
    """Runs commands that record at least one event of every class of the context's aggregates."""
    # Catalogues: an event type, the timeslot catalogue (seeded), a slot added and removed.
    app.create_event_type(name="Training", use_sessions=True, has_seats_limitation=True, seats_max=5)
    app.remove_timeslot(app.add_timeslot(23.5).id)

    # A session event with its templates and their copies; a registration; its mails.
    event = app.create_event(
        name="Everything",
        use_sessions=True,
        seats_limited=True,
        seats_max=10,
        mail_schedulers=[MailRule("after_sub", "now", 0, "Welcome"), MailRule("before_event", "days", 1, "Reminder")],
    )
    first = app.add_session(event.id, date_begin=BEGIN, date_end=BEGIN + timedelta(hours=2)).id
    later = BEGIN + timedelta(days=7)
    second = app.add_session(event.id, date_begin=later, date_end=later + timedelta(hours=2)).id
    parent = app.get_event(event.id)
    welcome, reminder = parent.scheduler_ids("after_sub")[0], parent.scheduler_ids("before_event")[0]
    ada = app.register(event_id=event.id, session_id=first, name="Ada", email="ada@example.org", state="open").id
    app.send_attendee_mail(copy_id(welcome, first), ada, at=NOW)  # an attendee mailed
    bo = app.register(event_id=event.id, session_id=first, name="Bo", email="bo@example.org", state="open").id
    app.move_registration(bo, second)  # Bo's pending welcome mail leaves the first session's copy
    app.change_registration_state(bo, RegistrationState.DONE)
    app.send_scheduled_mail(copy_id(reminder, first), at=BEGIN - timedelta(hours=1))  # a reminder sent

    # Templates changed (a new type too), added and removed.
    app.update_mail_scheduler(reminder, {"interval_nbr": 2, "interval_type": "after_event"})
    extra = app.add_mail_scheduler(event.id, MailRule("before_event", "hours", 3, "Soon")).id
    app.remove_mail_scheduler(extra)

    # The event and its sessions changed.
    app.update_event(event.id, {"name": "Everything, renamed", "seats_max": 12})
    app.update_session(second, {"date_begin": later + timedelta(hours=1), "stage_id": 2, "kanban_state": "blocked"})
    app.update_session(second, {"active": False})
    app.update_session(second, {"active": True})
    empty = app.add_session(event.id, date_begin=later, date_end=later + timedelta(hours=1)).id
    app.delete_session(empty)

    # An event without sessions counts its own seats, and one without registrations switches sessions on.
    regular = app.create_event(name="Regular", date_begin=BEGIN, date_end=BEGIN + timedelta(hours=1)).id
    app.register(event_id=regular, name="Cy", email="cy@example.org", state="open")
    switched = app.create_event(name="Switched", date_begin=BEGIN, date_end=BEGIN + timedelta(hours=1)).id
    app.update_event(switched, {"use_sessions": True})
    return app
