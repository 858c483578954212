"""No overbooking under any concurrency (spec C1), write model and read model agreeing."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

from domain.eventsessions.errors import NotEnoughSeatsError
from tests.conftest import read_row, wait_for

START = datetime(2027, 3, 1, 9, tzinfo=timezone.utc)


def test_fifty_concurrent_registrations_for_the_last_ten_seats_take_exactly_ten(app, container):
    event = app.create_event(name="Sold-out summit", use_sessions=True, seats_limited=True, seats_max=30,
                             auto_confirm=True)  # fmt: skip
    session = app.add_session(event.id, date_begin=START, date_end=START + timedelta(hours=2))
    for i in range(20):
        app.register(event_id=event.id, session_id=session.id, name=f"early {i}", email=f"early{i}@example.org")

    def attempt(i: int) -> str:
        try:
            app.register(event_id=event.id, session_id=session.id, name=f"late {i}", email=f"late{i}@example.org")
        except NotEnoughSeatsError as error:
            return error.message
        return "taken"

    with ThreadPoolExecutor(max_workers=50) as pool:
        results = list(pool.map(attempt, range(50)))

    assert results.count("taken") == 10
    refusals = [r for r in results if r != "taken"]
    assert len(refusals) == 40
    assert set(refusals) == {'There are not enough seats available for:\n- "Sold-out summit": Missing 1 seats.\n'}
    seats = app.get_session(session.id).seats
    assert (seats.seats_reserved, seats.seats_available) == (30, 0)
    version = app.get_session(session.id).version
    row = wait_for(lambda: read_row(
        container, "SELECT seats_reserved, seats_max, version FROM readmodels.session_seats WHERE id = %s AND version = %s",
        session.id, version,
    ))  # fmt: skip
    assert row[:2] == (30, 30)
    registered = read_row(
        container, "SELECT count(*) FROM readmodels.registrations WHERE session_id = %s AND state = 'open'", session.id
    )
    wait_for(lambda: read_row(
        container, "SELECT count(*) FROM readmodels.registrations WHERE session_id = %s", session.id)[0] == 30)
    assert registered[0] <= 30


def test_a_new_draft_is_refused_when_the_session_is_full(app):
    from domain.eventsessions.errors import NoMoreSeatsError

    event = app.create_event(name="Tiny", use_sessions=True, seats_limited=True, seats_max=1)
    session = app.add_session(event.id, date_begin=START, date_end=START + timedelta(hours=1))
    app.register(event_id=event.id, session_id=session.id, name="a", email="a@example.org", state="open")
    try:
        app.register(event_id=event.id, session_id=session.id, name="b", email="b@example.org")
    except NoMoreSeatsError as error:
        assert error.message == "No more seats available for this session."
    else:
        raise AssertionError("a draft was accepted into a full session")
