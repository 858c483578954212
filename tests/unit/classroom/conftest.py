"""Fixtures for the classroom unit tests: an in-memory store, a frozen clock, and a ``Lesson``."""

from __future__ import annotations

import pytest

from domain.classroom.application import Classrooms
from domain.shared.clock import FrozenClock
from tests.unit.classroom.lessons import NOW, Lesson, new_lesson


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)


@pytest.fixture
def app(clock: FrozenClock) -> Classrooms:
    return Classrooms(env={"PERSISTENCE_MODULE": "eventsourcing.popo"}, clock=clock)


@pytest.fixture
def lesson(app: Classrooms, clock: FrozenClock) -> Lesson:
    return new_lesson(app, clock)
