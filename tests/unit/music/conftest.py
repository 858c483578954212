"""Fixtures of the music unit tests: the application on the in-memory store with a frozen clock."""

from __future__ import annotations

import pytest

from domain.music.application import MusicSessions
from domain.shared.clock import FrozenClock
from tests.unit.music.builders import NOW


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)


@pytest.fixture
def app(clock: FrozenClock) -> MusicSessions:
    return MusicSessions(env={"PERSISTENCE_MODULE": "eventsourcing.popo"}, clock=clock)
