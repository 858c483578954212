"""A rebuild's memory does not grow with the store (no network): the replay holds a bounded number of
rows whatever the log's length, and a mapping that remembers few parents reads what it misses a batch
at a time, with the same messages as one that remembers every parent."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from datetime import datetime, timedelta, timezone
from typing import Any
from uuid import UUID

import pytest

from domain.eventsessions.application import EventSessions
from domain.eventsessions.seats import RegistrationState
from domain.shared.clock import FrozenClock
from infra.audit import rebuild
from producers.catalogue import REGISTRY
from producers.registry import ahead_of_events
from producers.relay import Row

NOW = datetime(2027, 1, 10, 8, tzinfo=timezone.utc)
BEGIN = datetime(2027, 2, 1, 9, tzinfo=timezone.utc)


class Spy:
    """Counts the calls of ``target`` and what they asked for, and answers as ``target`` does."""

    def __init__(self, target: Any) -> None:
        self.target = target
        self.calls: list[Any] = []

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.calls.append(args[0] if args else kwargs)
        return self.target(*args, **kwargs)


class SpyRepository:
    def __init__(self, repository: Any) -> None:
        self.get = Spy(repository.get)


@pytest.fixture
def app() -> EventSessions:
    """Registrations changed long after they were made: a bounded parent index has forgotten them by then."""
    app = EventSessions(env={"PERSISTENCE_MODULE": "eventsourcing.popo"}, clock=FrozenClock(NOW))
    event = app.create_event(name="Memory", use_sessions=True, seats_limited=False)
    sessions = [
        app.add_session(event.id, date_begin=BEGIN + timedelta(days=d), date_end=BEGIN + timedelta(days=d, hours=1)).id
        for d in range(2)
    ]
    made = [
        app.register(event_id=event.id, session_id=sessions[i % 2], name=f"r{i}", email=f"r{i}@example.org").id
        for i in range(30)
    ]
    for i, registration in enumerate(made):
        app.change_registration_state(registration, RegistrationState.OPEN if i % 2 else RegistrationState.CANCEL)
    app.move_registration(made[1], sessions[0])
    return app


def _events(app: EventSessions) -> list[Any]:
    return [app.mapper.to_domain_event(n) for n in app.recorder.select_notifications(start=None, limit=10_000)]


def _first_events(events: list[Any]) -> Spy:
    firsts = {e.originator_id: e for e in events if e.originator_version == 1}
    return Spy(lambda ids: [firsts[i] for i in ids if i in firsts])


def _messages(outgoing: list[Any]) -> list[tuple[Any, ...]]:
    return [(o.topic, o.key, o.message) for o in outgoing]


def test_a_mapping_that_remembers_few_parents_reads_what_it_misses_one_batch_at_a_time(app):
    events = _events(app)
    expected = _messages([o for e in events for o in REGISTRY.bind(app.repository)(e)])
    repository, first_events, size = SpyRepository(app.repository), _first_events(events), 8
    bound = REGISTRY.bind(repository, remember=2 * size, first_events=first_events)

    got = []
    batches = [events[i : i + size] for i in range(0, len(events), size)]
    for batch in batches:
        with bound.batch(ahead_of_events(batch)):
            got += [o for e in batch for o in bound(e)]

    assert _messages(got) == expected
    assert repository.get.calls == []  # never one aggregate at a time
    assert 0 < len(first_events.calls) <= len(batches)  # at most one read per batch
    assert all(len(ids) <= size for ids in first_events.calls)


def test_outside_a_batch_a_bounded_mapping_still_answers_one_aggregate_at_a_time(app):
    events = _events(app)
    expected = _messages([o for e in events for o in REGISTRY.bind(app.repository)(e)])
    repository, first_events = SpyRepository(app.repository), _first_events(events)
    bound = REGISTRY.bind(repository, remember=2, first_events=first_events)

    got = [o for e in events for o in bound(e)]

    assert _messages(got) == expected
    assert repository.get.calls and first_events.calls == []


class FakeBound:
    def __call__(self, event: Row) -> list[Any]:
        return [type("Out", (), {"topic": "t", "message": event})()]

    @contextmanager
    def batch(self, ahead: Any) -> Iterator[None]:
        yield


class Held:
    """Rows read from the (fake) log and not yet applied: what the replay holds at once."""

    def __init__(self) -> None:
        self.now = self.most = 0
        self.lock = threading.Lock()

    def add(self, n: int) -> None:
        with self.lock:
            self.now += n
            self.most = max(self.most, self.now)


@pytest.mark.parametrize("batches", [5, 200])
def test_a_replay_holds_at_most_a_few_batches_however_long_the_log(monkeypatch, batches):
    size, held = 50, Held()

    class FakeReader:
        horizon = 0

        def __init__(self, app: Any, window: Any, batch: int) -> None:
            assert batch == size

        def batches(self) -> Iterator[list[Row]]:
            for b in range(batches):
                rows = [Row(b * size + i + 1, UUID(int=b * size + i + 1), 1, "t", b"{}") for i in range(size)]
                held.add(len(rows))
                yield rows

    def slow_apply(conn: Any, projection: Any, schema: str, messages: list[Any], *, exclusive: bool) -> None:
        time.sleep(0.001)  # the writer is the slowest stage: the queues before it fill up
        held.add(-len(messages))

    monkeypatch.setattr(rebuild, "LogReader", FakeReader)
    monkeypatch.setattr(rebuild, "prefixes", lambda *a, **k: ())
    monkeypatch.setattr(rebuild, "EventDecoder", lambda mapper: lambda row: row)
    monkeypatch.setattr(rebuild, "REGISTRY", type("R", (), {"bind": lambda self, *a, **k: FakeBound()})())
    monkeypatch.setattr(rebuild, "RoundTrip", lambda: lambda topic, message: message)
    monkeypatch.setattr(rebuild, "_apply", slow_apply)
    projection = type("P", (), {"name": "p", "topics": ("t",)})()
    app = type("App", (), {"mapper": None, "repository": None})()

    pool = type("Pool", (), {"connection": lambda self: nullcontext()})()
    done = rebuild.replay_into(app, pool, projection, "s", batch=size)

    assert (done.events, done.applied, held.now) == (batches * size, batches * size, 0)
    assert held.most <= rebuild.in_flight(size)


def test_the_rebuild_remembers_twice_a_batch_and_holds_at_most_20_000_rows():
    # Twice a batch: a batch that misses costs one read (``LookaheadIndex._learn``); the rows in flight are
    # reached after a few batches of any store (the benchmark's 50,000 events hold 25,000 registrations).
    assert rebuild.remember(rebuild.BATCH) >= 2 * rebuild.BATCH
    assert rebuild.in_flight(rebuild.BATCH) <= 20_000
