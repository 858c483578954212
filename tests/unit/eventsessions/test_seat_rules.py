"""The seat ledger's formulas, idempotent creates, and a property: no sequence of commands overbooks
(in-memory event store, no network).  One test per rule of the spec is in ``test_event_session_rules``."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.eventsessions.application import EventSessions
from domain.eventsessions.errors import NoMoreSeatsError, NotEnoughSeatsError
from domain.eventsessions.seats import RegistrationState, SeatCounts
from domain.shared.clock import FrozenClock
from domain.shared.errors import IdReusedError

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


@given(st.lists(st.tuples(st.integers(0, 5), st.sampled_from(list(RegistrationState))), max_size=40))
def test_no_sequence_of_commands_overbooks_a_limited_session(steps):
    app = EventSessions(env={"PERSISTENCE_MODULE": "eventsourcing.popo"}, clock=FrozenClock(NOW))
    event, session = _session_event(app, seats_max=3)
    registrations = []
    for index, state in steps:
        try:
            if index >= len(registrations):
                registrations.append(
                    app.register(
                        event_id=event.id, session_id=session.id, name="p", email="p@example.org", state=state.value
                    ).id
                )
            else:
                app.change_registration_state(registrations[index], state)
        except (NotEnoughSeatsError, NoMoreSeatsError):
            pass
        seats = app.get_session(session.id).seats
        assert seats.seats_available >= 0
        states = [app.get_registration(r).state for r in registrations]
        assert seats.seats_reserved == states.count("open") and seats.seats_used == states.count("done")
