"""Read models rebuilt fast from the log: equal to the live ones, and as they stood at an instant."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest
from psycopg import sql

from domain.eventsessions.seats import RegistrationState
from infra.audit import rebuild
from infra.audit.log import LogReader, Window
from infra.audit.rebuild import check_schema, empty, rebuild_as_of, rebuild_live, replay_into
from infra.rebuild import differences
from projections import base
from projections.catalogue import LIVE_SCHEMA, PROJECTIONS
from tests.integration import auditing
from tests.integration.auditing import (
    START,
    history,
    run_cli,
)
from tests.integration.auditing import sql as run_sql

fresh_container = auditing.fresh_container  # the fixture, bound where pytest looks for it


def seats(container, schema: str, session_id) -> tuple[int, int, int]:
    with container.pool.connection() as conn:
        row = conn.execute(
            sql.SQL("SELECT seats_reserved, seats_used, version FROM {} WHERE id = %s").format(
                sql.Identifier(schema, "session_seats")
            ),
            (session_id,),
        ).fetchone()
    return tuple(row) if row else None


def test_an_as_of_rebuild_between_two_commands_shows_the_figures_of_that_instant(fresh_container):
    container = fresh_container
    app = container.app
    _, session_id, registrations = history(container, registrations=3)  # 3 open: 3 reserved
    rebuild_live(container.event_store, container.pool, PROJECTIONS["seat_availability"])
    live_then = seats(container, LIVE_SCHEMA, session_id)
    time.sleep(0.02)
    between = datetime.now(timezone.utc)
    time.sleep(0.02)
    app.change_registration_state(registrations[0], RegistrationState.DONE)  # 2 reserved, 1 used

    rebuilt = rebuild_as_of(container.event_store, container.pool, PROJECTIONS["seat_availability"], between,
                            "asof_between")  # fmt: skip
    rebuild_as_of(container.event_store, container.pool, PROJECTIONS["seat_availability"], None, "asof_now")

    assert seats(container, "asof_between", session_id)[:2] == (3, 0)
    assert seats(container, "asof_now", session_id)[:2] == (2, 1)
    assert seats(container, LIVE_SCHEMA, session_id) == live_then  # the live read model was not touched
    assert rebuilt.applied >= 4


def test_an_as_of_rebuild_never_writes_into_the_live_schema():
    for schema in (LIVE_SCHEMA, "public", "Bad-Name"):
        with pytest.raises(ValueError):
            check_schema(schema)


@pytest.mark.parametrize("bulk_rows", [500, 1], ids=["statements", "copies"])
@pytest.mark.parametrize("name", sorted(PROJECTIONS))
def test_every_read_model_rebuilt_fast_equals_the_live_one(service, name, bulk_rows, monkeypatch):
    monkeypatch.setattr(base, "BULK_ROWS", bulk_rows)  # 1: every write goes through COPY and the staged merge
    container = service.container
    app = container.app
    event = app.create_event(name=f"Rebuilt {name}", use_sessions=True, seats_limited=True, seats_max=5)
    sessions = [
        app.add_session(event.id, date_begin=START + timedelta(days=d), date_end=START + timedelta(days=d, hours=1)).id
        for d in range(2)
    ]
    for i in range(6):
        outcome = app.register(event_id=event.id, session_id=sessions[i % 2], name=f"r{i}", email=f"r{i}@example.org")
        if i % 3 == 0:
            app.change_registration_state(outcome.id, RegistrationState.OPEN)
    projection = PROJECTIONS[name]
    scratch = f"fast_{name}_{bulk_rows}"
    empty(container.pool, projection, scratch)
    position = replay_into(container.event_store, container.pool, projection, scratch).position
    deadline = time.monotonic() + 20
    while (found := differences(container.pool, projection, scratch)) and time.monotonic() < deadline:
        time.sleep(0.25)  # the live read model trails by a moment; newer events join the rebuild
        position = replay_into(container.event_store, container.pool, projection, scratch, after=position).position

    assert found == []


def test_the_rebuild_command_builds_an_as_of_schema_and_prints_its_name(fresh_container):
    container = fresh_container
    _, session_id, _ = history(container, registrations=2)
    at = datetime.now(timezone.utc).isoformat()

    done = run_cli(container, "projections", "rebuild", "seat_availability", "--until", at, "--schema", "asof_cli")
    replayed = run_cli(container, "audit", "replay", "--topic", f"{container.settings.topic_prefix}cli.replay")

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "asof_cli"
    assert seats(container, "asof_cli", session_id)[:2] == (2, 0)
    assert replayed.returncode == 0, replayed.stderr
    events = run_sql(container, "SELECT count(*) FROM EVENTS")[0][0]
    assert replayed.stdout.strip() == f"{events} messages published to {container.settings.topic_prefix}cli.replay"


def test_the_log_is_read_in_pages_of_the_batch_size(fresh_container):
    container = fresh_container
    history(container, registrations=5)
    app = container.event_store

    pages = list(LogReader(app, Window(), batch=4).batches())

    assert len(pages) > 3 and all(len(page) <= 4 for page in pages)
    assert [row.id for page in pages for row in page] == [r[0] for r in run_sql(
        container, "SELECT notification_id FROM EVENTS ORDER BY notification_id")]  # fmt: skip


@pytest.mark.parametrize("name", ["registrations", "attendance"])
def test_a_rebuild_in_small_batches_reads_forgotten_parents_a_batch_at_a_time_and_equals_a_whole_one(
    fresh_container, monkeypatch, name
):
    container = fresh_container
    app, store = container.app, container.event_store
    _, session_id, registrations = history(container, registrations=20)  # a batch of 3 remembers 12
    other = app.add_session(app.get_session(session_id).event_id, date_begin=START + timedelta(days=1),
                            date_end=START + timedelta(days=1, hours=1)).id  # fmt: skip
    for i, registration in enumerate(registrations):  # long after each was made: a small index forgot its parent
        app.change_registration_state(registration, RegistrationState.DONE if i % 2 else RegistrationState.CANCEL)
    app.move_registration(registrations[1], other)
    projection = PROJECTIONS[name]
    rebuild_live(store, container.pool, projection)  # one batch: nothing forgotten
    reads: list[int] = []
    looked_up: list[object] = []
    read_first = rebuild.first_rows
    monkeypatch.setattr(rebuild, "first_rows", lambda a, ids: reads.append(len(ids)) or read_first(a, ids))
    get = store.repository.get
    monkeypatch.setattr(store.repository, "get", lambda *a, **k: looked_up.append(a) or get(*a, **k))

    empty(container.pool, projection, "small_batches")
    replay_into(store, container.pool, projection, "small_batches", batch=3)

    assert differences(container.pool, projection, "small_batches") == []
    assert looked_up == []  # never one aggregate at a time
    assert reads and max(reads) <= 3
