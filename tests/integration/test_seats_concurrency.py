"""No overbooking under any concurrency (spec C1), write model and read model agreeing."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

from domain.eventsessions.errors import NotEnoughSeatsError
from tests.support.database import read_row, read_rows
from tests.support.waiting import wait_for

START = datetime(2027, 3, 1, 9, tzinfo=timezone.utc)


def test_fifty_concurrent_registrations_for_the_last_ten_seats_take_exactly_ten(app, container):
    event = app.create_event(
        name="Sold-out summit", use_sessions=True, seats_limited=True, seats_max=30, auto_confirm=True
    )
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
    row = wait_for(
        lambda: read_row(
            container,
            "SELECT seats_reserved, seats_max, version FROM readmodels.session_seats WHERE id = %s AND version = %s",
            session.id,
            version,
        )
    )
    assert row[:2] == (30, 30)
    # The registrations read model trails on its own topic: wait until it shows all of them, then it
    # must show exactly the 30 the write side accepted, every one of them confirmed.
    wait_for(
        lambda: (
            read_row(container, "SELECT count(*) FROM readmodels.registrations WHERE session_id = %s", session.id)[0]
            >= 30
        )
    )
    by_state = read_rows(
        container,
        "SELECT state, count(*) FROM readmodels.registrations WHERE session_id = %s GROUP BY state",
        session.id,
    )
    assert by_state == [("open", 30)]
