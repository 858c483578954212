"""Factory + default fixtures for the charging tests: an application on the in-memory store, a frozen clock,
and keyword-only builders of wire objects."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import pytest

from domain.charging.application import ChargingSessions
from domain.shared.clock import FrozenClock
from tests.unit.charging.examples import SESSION_JUST_STARTED_2_2_1, load

NOW = datetime(2020, 3, 9, 12, 0, tzinfo=timezone.utc)
IN_MEMORY = {"PERSISTENCE_MODULE": "eventsourcing.popo"}


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)


@pytest.fixture
def app_factory(clock: FrozenClock) -> Callable[..., ChargingSessions]:
    def make(**settings: str) -> ChargingSessions:
        return ChargingSessions(env={**IN_MEMORY, **settings}, clock=clock)

    return make


@pytest.fixture
def app(app_factory: Callable[..., ChargingSessions]) -> ChargingSessions:
    return app_factory()


def session_body(**fields: Any) -> dict[str, Any]:
    """The spec's "just starting" 2.2.1 session (NL/STK/101, PENDING, 10:17:09Z) with ``fields`` replaced;
    a field given as ``None`` is left out."""
    body = copy.deepcopy(load(SESSION_JUST_STARTED_2_2_1))
    for name, value in fields.items():
        if value is None:
            body.pop(name, None)
        else:
            body[name] = value
    return body


def period(start: str, *dimensions: tuple[str, Any], tariff_id: str | None = None) -> dict[str, Any]:
    """A charging period starting at ``start`` (default: one ENERGY dimension of 1 kWh)."""
    body: dict[str, Any] = {
        "start_date_time": start,
        "dimensions": [{"type": kind, "volume": volume} for kind, volume in dimensions or (("ENERGY", 1),)],
    }
    if tariff_id is not None:
        body["tariff_id"] = tariff_id
    return body
