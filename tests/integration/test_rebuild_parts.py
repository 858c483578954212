"""A rebuild in two processes (``infra.audit.parts``) builds the rows one process builds, live or as of an
instant, and fails loudly when its child fails."""

from __future__ import annotations

import time
from datetime import datetime, timezone

import pytest
from psycopg import sql

from domain.eventsessions.seats import RegistrationState
from infra.audit import parts
from infra.audit.log import estimated_rows, prefixes
from infra.audit.rebuild import empty, replay_into
from infra.rebuild import differences
from producers.catalogue import REGISTRY
from projections.catalogue import LIVE_SCHEMA, PROJECTIONS
from tests.integration import auditing
from tests.integration.auditing import history

fresh_container = auditing.fresh_container  # the fixture, bound where pytest looks for it


def _rows(container, schema: str, table: str) -> list[tuple]:
    with container.pool.connection() as conn:
        return conn.execute(sql.SQL("SELECT * FROM {} ORDER BY 1").format(sql.Identifier(schema, table))).fetchall()


def _versions(container, schema: str, name: str) -> list[tuple]:
    with container.pool.connection() as conn:
        return conn.execute(
            sql.SQL("SELECT aggregate_id, version FROM {} WHERE projection = %s ORDER BY 1").format(
                sql.Identifier(schema, "projection_versions")
            ),
            (name,),
        ).fetchall()


@pytest.mark.parametrize("name", ["registrations", "seat_availability"])
def test_a_rebuild_in_parts_builds_what_one_process_builds(fresh_container, monkeypatch, name):
    container = fresh_container
    app = container.app
    for _ in range(3):  # several sessions and registrations: both parts get aggregates
        _, _, registrations = history(container, registrations=8)
        for i, registration in enumerate(registrations[:4]):
            app.change_registration_state(registration, RegistrationState.DONE if i % 2 else RegistrationState.CANCEL)
    monkeypatch.setattr(parts, "PARALLEL_FROM", 0)
    projection = PROJECTIONS[name]
    (table,) = projection.tables
    empty(container.pool, projection, "one_process")
    alone = replay_into(container.event_store, container.pool, projection, "one_process")
    said: list[tuple[int, int]] = []

    done = parts.rebuild_as_of(container, projection, None, "in_parts", lambda n, p: said.append((n, p)))

    assert parts.per_aggregate(projection)
    assert _rows(container, "in_parts", table) == _rows(container, "one_process", table) != []
    assert _versions(container, "in_parts", name) == _versions(container, "one_process", name)
    assert (done.events, done.applied) == (alone.events, alone.applied)
    assert said and sum(n for n, _ in said) == done.events  # both parts' progress, counted once
    # What decides the split: the read model's events, estimated from a sample (here every page).
    assert estimated_rows(container.event_store, prefixes(REGISTRY, topics=projection.topics), 100) == done.events
    # The two parts read every event once between them: each only its own aggregates.
    halves = [
        replay_into(container.event_store, container.pool, projection, f"half_{k}", part=(k, 2)).events
        for k in range(2)
        if empty(container.pool, projection, f"half_{k}") is None
    ]
    assert sum(halves) == alone.events
    if name == "registrations":  # 24 aggregates: both halves hold some (all on one side: 1 chance in 8 million)
        assert 0 not in halves


def test_a_live_rebuild_and_an_as_of_one_in_parts(fresh_container, monkeypatch):
    container = fresh_container
    app = container.app
    _, _, registrations = history(container, registrations=4)
    time.sleep(0.02)
    between = datetime.now(timezone.utc)
    time.sleep(0.02)
    app.change_registration_state(registrations[0], RegistrationState.DONE)
    monkeypatch.setattr(parts, "PARALLEL_FROM", 0)
    projection = PROJECTIONS["registrations"]

    parts.rebuild_live(container, projection)
    parts.rebuild_as_of(container, projection, between, "asof_parts")

    assert differences(container.pool, projection, "asof_parts") != []  # one registration changed since
    states = {r[0]: r[7] for r in _rows(container, "asof_parts", "registrations")}
    assert states[registrations[0]] == "open"
    live = {r[0]: r[7] for r in _rows(container, LIVE_SCHEMA, "registrations")}
    assert live[registrations[0]] == "done" and set(live) >= set(registrations)


def test_a_part_that_fails_fails_the_rebuild(fresh_container):
    container = fresh_container
    child = parts.PartProcess(container, "no such read model", "in_parts", None, 0, part=1, progress=lambda n, p: None)
    child.start()
    try:
        with pytest.raises(RuntimeError, match="rebuild part 1: KeyError"):
            child.result()
    finally:
        child.end()


def test_a_part_s_progress_arrives_while_this_process_is_busy(fresh_container):
    container = fresh_container
    history(container, registrations=4)
    projection = PROJECTIONS["registrations"]
    empty(container.pool, projection, "progress_parts")
    said: list[tuple[int, int]] = []
    horizon = int(container.event_store.recorder.max_notification_id())
    child = parts.PartProcess(container, projection.name, "progress_parts", None, horizon, part=1,
                              progress=lambda n, p: said.append((n, p)))  # fmt: skip
    child.start()
    try:
        deadline = time.monotonic() + 60
        while not said and time.monotonic() < deadline:  # result() not called: the listener delivers it
            time.sleep(0.05)
        assert said and said[-1][1] == horizon
        events, _applied = child.result()
        assert sum(n for n, _ in said) == events
    finally:
        child.end()
