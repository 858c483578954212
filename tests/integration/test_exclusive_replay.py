"""An exclusive replay (an as-of or scratch rebuild) skips the look-ups an aggregate's first event cannot
need, and builds the same rows as the live way; the live way still drops a first event seen before."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any
from uuid import uuid4

from domain.eventsessions.registration import Registration
from domain.eventsessions.seats import RegistrationState
from producers.catalogue import DECODERS
from producers.eventsessions import mapping, topics
from projections.base import exclusive_replay, track_versions
from projections.eventsessions.registrations import RegistrationsProjection
from tests.support.projections import Scratch

EVENT = uuid4()
AT = datetime(2027, 3, 1, 12, tzinfo=timezone.utc)


class Spy:
    """A cursor that remembers the statements it was asked to run."""

    def __init__(self, cur: Any) -> None:
        self.cur = cur
        self.statements: list[str] = []

    def execute(self, query: Any, *args: Any, **kwargs: Any) -> Any:
        self.statements.append(query if isinstance(query, str) else query.as_string(self.cur))
        return self.cur.execute(query, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.cur, name)

    def selects(self, table: str) -> list[str]:
        return [s for s in self.statements if s.startswith("SELECT") and table in s and "LIMIT 0" not in s]


def _registrations(count: int) -> list[Registration]:
    return [
        Registration(
            id=uuid4(),
            event_id=EVENT,
            session_id=uuid4(),
            name=f"R{i}",
            email=f"r{i}@example.org",
            phone=None,
            state=RegistrationState.DRAFT.value,
            created_at=AT,
            fingerprint="",
        )
        for i in range(count)
    ]


def _messages(aggregates: list[Registration]) -> list[Any]:
    return [
        DECODERS[topics.REGISTRATIONS](out.message.model_dump_json().encode())
        for a in aggregates
        for event in a.collect_events()
        for out in mapping.to_messages(event, lambda _: EVENT)
        if out.topic == topics.REGISTRATIONS
    ]


def _feed(scratch: Scratch, messages: list[Any], *, exclusive: bool) -> Spy:
    projection = RegistrationsProjection()
    with scratch.cursor() as cur:
        spy = Spy(cur)
        if exclusive:
            with exclusive_replay():
                new, _ = track_versions(spy, projection.name, messages)  # type: ignore[arg-type]
                projection.apply(spy, new)  # type: ignore[arg-type]
        else:
            new, _ = track_versions(spy, projection.name, messages)  # type: ignore[arg-type]
            projection.apply(spy, new)  # type: ignore[arg-type]
    return spy


def _table(scratch: Scratch) -> list[tuple[Any, ...]]:
    return scratch.rows("SELECT id, version, state FROM registrations ORDER BY id")


def test_first_events_in_an_exclusive_replay_look_nothing_up_and_build_the_same_rows(container_factory):
    pool = container_factory().pool
    aggregates = _registrations(3)
    first = _messages(aggregates)
    exclusive, live = Scratch(pool, RegistrationsProjection()), Scratch(pool, RegistrationsProjection())

    spy = _feed(exclusive, first, exclusive=True)
    _feed(live, first, exclusive=False)

    assert spy.selects("projection_versions") == [] and spy.selects("registrations") == []
    assert _table(exclusive) == _table(live) and len(_table(exclusive)) == 3


def test_later_events_in_an_exclusive_replay_are_looked_up_and_applied(container_factory):
    pool = container_factory().pool
    aggregates = _registrations(2)
    first = _messages(aggregates)
    aggregates[0].change_state(RegistrationState.OPEN, at=AT)
    later = _messages(aggregates)
    exclusive, live = Scratch(pool, RegistrationsProjection()), Scratch(pool, RegistrationsProjection())
    for scratch, mode in ((exclusive, True), (live, False)):
        _feed(scratch, first, exclusive=mode)

    spy = _feed(exclusive, later, exclusive=True)
    _feed(live, later, exclusive=False)

    assert len(spy.selects("projection_versions")) == 1 and len(spy.selects("registrations")) == 1
    assert _table(exclusive) == _table(live)
    assert (aggregates[0].id, 2, "open") in _table(exclusive)


def test_outside_an_exclusive_replay_a_first_event_seen_before_is_dropped(container_factory):
    scratch = Scratch(container_factory().pool, RegistrationsProjection())
    first = _messages(_registrations(2))
    _feed(scratch, first, exclusive=False)

    spy = _feed(scratch, first, exclusive=False)  # redelivered, as Kafka may

    assert spy.selects("projection_versions") and spy.selects("registrations") == []  # nothing new to fold
    assert len(_table(scratch)) == 2
