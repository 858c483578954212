"""The seat rules of spec §3-§5, on the in-memory event store (no network)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.eventsessions.application import EventSessions
from domain.eventsessions.errors import (
    DatesOutOfOrderError,
    IdReusedError,
    NoMoreSeatsError,
    NotEnoughSeatsError,
    SessionInUseError,
    SessionsToggleRefusedError,
)
from domain.eventsessions.seats import RegistrationState, SeatCounts
from domain.shared.clock import FrozenClock
from domain.shared.errors import InvalidInputError

NOW = datetime(2027, 1, 10, 8, tzinfo=timezone.utc)
BEGIN = datetime(2027, 2, 1, 9, tzinfo=timezone.utc)


@pytest.fixture
def app() -> EventSessions:
    return EventSessions(env={"PERSISTENCE_MODULE": "eventsourcing.popo"}, clock=FrozenClock(NOW))


def _session_event(app: EventSessions, seats_max: int = 2, **kwargs):
    event = app.create_event(name="Test event", use_sessions=True, seats_limited=True, seats_max=seats_max, **kwargs)
    session = app.add_session(event.id, date_begin=BEGIN, date_end=BEGIN + timedelta(hours=2))
    return event, session


def test_seat_figures_follow_the_spec_formulas():
    counts = SeatCounts(seats_limited=True, seats_max=10, seats_unconfirmed=2, seats_reserved=3, seats_used=1)
    assert counts.seats_available == 6
    assert counts.seats_expected == 6
    assert SeatCounts(False, 0, 1, 2, 0).seats_available == 0


def test_a_confirmed_attendee_over_capacity_gets_the_c1_message(app):
    event, session = _session_event(app, seats_max=1)
    app.register(event_id=event.id, session_id=session.id, name="a", email="a@example.org", state="open")
    with pytest.raises(NotEnoughSeatsError) as refused:
        app.register(event_id=event.id, session_id=session.id, name="b", email="b@example.org", state="open")
    assert refused.value.message == 'There are not enough seats available for:\n- "Test event": Missing 1 seats.\n'


def test_a_new_draft_needs_one_free_seat(app):
    event, session = _session_event(app, seats_max=1)
    app.register(event_id=event.id, session_id=session.id, name="a", email="a@example.org", state="open")
    with pytest.raises(NoMoreSeatsError, match="^No more seats available for this session.$"):
        app.register(event_id=event.id, session_id=session.id, name="b", email="b@example.org")


def test_drafts_do_not_consume_seats_but_confirming_them_does(app):
    event, session = _session_event(app, seats_max=1)
    first = app.register(event_id=event.id, session_id=session.id, name="a", email="a@example.org")
    second = app.register(event_id=event.id, session_id=session.id, name="b", email="b@example.org")
    app.change_registration_state(first.id, RegistrationState.OPEN)
    with pytest.raises(NotEnoughSeatsError):
        app.change_registration_state(second.id, RegistrationState.OPEN)
    assert app.get_session(session.id).seats.seats_unconfirmed == 1


def test_cancelling_frees_the_seat_and_attending_sets_date_closed(app):
    event, session = _session_event(app, seats_max=1)
    first = app.register(event_id=event.id, session_id=session.id, name="a", email="a@example.org", state="open")
    app.change_registration_state(first.id, RegistrationState.CANCEL)
    second = app.register(event_id=event.id, session_id=session.id, name="b", email="b@example.org", state="open")
    app.change_registration_state(second.id, RegistrationState.DONE)
    assert app.get_registration(second.id).date_closed == NOW
    assert app.get_session(session.id).seats.seats_used == 1


def test_lowering_capacity_below_the_taken_seats_is_refused_for_every_session(app):
    event, session = _session_event(app, seats_max=3)
    other = app.add_session(event.id, date_begin=BEGIN + timedelta(days=1), date_end=BEGIN + timedelta(days=1, hours=1))
    for sid in (session.id, other.id):
        for i in range(3):
            app.register(event_id=event.id, session_id=sid, name=f"p{i}", email=f"p{i}@example.org", state="open")
    with pytest.raises(NotEnoughSeatsError) as refused:
        app.update_event(event.id, {"seats_max": 1})
    assert refused.value.message == (
        'There are not enough seats available for:\n- "Test event": Missing 2 seats.\n- "Test event": Missing 2 seats.\n'
    )
    assert app.get_session(session.id).seats_max == 3


def test_session_dates_must_not_be_equal_or_reversed(app):
    event = app.create_event(name="E", use_sessions=True)
    with pytest.raises(DatesOutOfOrderError, match="^The closing date cannot be earlier than the beginning date.$"):
        app.add_session(event.id, date_begin=BEGIN, date_end=BEGIN)


def test_use_sessions_cannot_change_once_the_event_has_registrations(app):
    event, session = _session_event(app)
    registration = app.register(event_id=event.id, session_id=session.id, name="a", email="a@example.org")
    app.change_registration_state(registration.id, RegistrationState.CANCEL)
    with pytest.raises(SessionsToggleRefusedError, match="^You can't enable/disable sessions on events with registrations.$"):
        app.update_event(event.id, {"use_sessions": False})


def test_switching_sessions_off_deletes_every_session(app):
    event, session = _session_event(app)
    app.update_event(event.id, {"use_sessions": False})
    assert app.get_event(event.id).session_ids == []


def test_a_session_with_registrations_cannot_be_deleted(app):
    event, session = _session_event(app)
    app.register(event_id=event.id, session_id=session.id, name="a", email="a@example.org")
    with pytest.raises(SessionInUseError):
        app.delete_session(session.id)


def test_a_session_event_registration_needs_a_session_of_that_event(app):
    event, _ = _session_event(app)
    other, other_session = _session_event(app)
    with pytest.raises(InvalidInputError) as missing:
        app.register(event_id=event.id, name="a", email="a@example.org")
    assert missing.value.field == "session_id"
    with pytest.raises(InvalidInputError):
        app.register(event_id=event.id, session_id=other_session.id, name="a", email="a@example.org")


def test_repeating_a_create_with_the_same_id_is_idempotent_and_a_different_body_conflicts(app):
    event = app.create_event(name="Same", date_begin=BEGIN, date_end=BEGIN, id=None)
    from uuid import uuid4

    chosen = uuid4()
    first = app.create_event(id=chosen, name="Same", date_begin=BEGIN, date_end=BEGIN + timedelta(hours=1))
    again = app.create_event(id=chosen, name="Same", date_begin=BEGIN, date_end=BEGIN + timedelta(hours=1))
    assert (first.created, again.created, again.version) == (True, False, first.version)
    with pytest.raises(IdReusedError):
        app.create_event(id=chosen, name="Other", date_begin=BEGIN, date_end=BEGIN + timedelta(hours=1))
    assert event.created


def test_moving_a_registration_checks_the_target_session(app):
    event, full = _session_event(app, seats_max=1)
    free = app.add_session(event.id, date_begin=BEGIN + timedelta(days=1), date_end=BEGIN + timedelta(days=1, hours=1))
    app.register(event_id=event.id, session_id=full.id, name="a", email="a@example.org", state="open")
    mover = app.register(event_id=event.id, session_id=free.id, name="b", email="b@example.org", state="open")
    with pytest.raises(NotEnoughSeatsError):
        app.move_registration(mover.id, full.id)
    app.move_registration(mover.id, free.id)
    assert app.get_session(free.id).seats.seats_reserved == 1


@given(st.lists(st.tuples(st.integers(0, 5), st.sampled_from(list(RegistrationState))), max_size=40))
def test_no_sequence_of_commands_overbooks_a_limited_session(steps):
    app = EventSessions(env={"PERSISTENCE_MODULE": "eventsourcing.popo"}, clock=FrozenClock(NOW))
    event, session = _session_event(app, seats_max=3)
    registrations = []
    for index, state in steps:
        try:
            if index >= len(registrations):
                registrations.append(app.register(event_id=event.id, session_id=session.id, name="p",
                                                  email="p@example.org", state=state.value).id)  # fmt: skip
            else:
                app.change_registration_state(registrations[index], state)
        except (NotEnoughSeatsError, NoMoreSeatsError):
            pass
        seats = app.get_session(session.id).seats
        assert seats.seats_available >= 0
        states = [app.get_registration(r).state for r in registrations]
        assert seats.seats_reserved == states.count("open") and seats.seats_used == states.count("done")
