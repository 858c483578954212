"""Property tests (hypothesis) of R-13 and R-6: out-of-order updates and appended periods.

Any sequence of PUTs and PATCHes with ``last_updated`` in random order ends in the same state as
applying only the non-stale ones in order (and as a plain model of PUT = replace, PATCH = merge +
append); under PATCH the stored periods only grow, the old ones first.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.charging.application import ChargingSessions
from domain.charging.datetimes import format_datetime
from domain.charging.validation import validate_session, validate_session_patch
from tests.unit.charging.conftest import IN_MEMORY, period, session_body

BASE = datetime(2020, 3, 9, 10, 0, tzinfo=timezone.utc)
URL = ("NL", "STK", "101")
ABSENT = "absent"


def at(seconds: int) -> str:
    return format_datetime(BASE + timedelta(seconds=seconds))


@dataclass(frozen=True)
class Update:
    method: str  # PUT | PATCH
    last_updated: int  # seconds after BASE
    kwh: int | None  # PATCH: None leaves it out
    meter_id: str | None  # PUT: None leaves it out; PATCH: ABSENT leaves it out, None clears it
    periods: int


puts = st.builds(
    Update,
    method=st.just("PUT"),
    last_updated=st.integers(0, 15),
    kwh=st.integers(0, 99),
    meter_id=st.sampled_from([None, "M1", "M2"]),
    periods=st.integers(0, 2),
)
patches = st.builds(
    Update,
    method=st.just("PATCH"),
    last_updated=st.integers(0, 15),
    kwh=st.none() | st.integers(0, 99),
    meter_id=st.sampled_from([ABSENT, None, "M1", "M3"]),
    periods=st.integers(0, 2),
)
histories = st.tuples(puts, st.lists(puts | patches, max_size=12)).map(lambda h: [h[0], *h[1]])


def wire_bodies(history: list[Update]) -> list[tuple[str, dict[str, Any]]]:
    """Each update as a wire body; period starts grow with every period ever sent, so no update's
    periods are out of order whatever was ignored before it (R-19 is not what is tested here)."""
    starts = itertools.count(1)
    bodies = []
    for update in history:
        periods = [period(at(1000 + next(starts))) for _ in range(update.periods)]
        if update.method == "PUT":
            body = session_body(
                status="ACTIVE", kwh=update.kwh, meter_id=update.meter_id,
                last_updated=at(update.last_updated),
                charging_periods=periods or None,
            )  # fmt: skip
        else:
            body = {"last_updated": at(update.last_updated), "charging_periods": periods}
            if update.kwh is not None:
                body["kwh"] = update.kwh
            if update.meter_id != ABSENT:
                body["meter_id"] = update.meter_id
        bodies.append((update.method, body))
    return bodies


def apply(app: ChargingSessions, method: str, body: dict[str, Any]) -> None:
    if method == "PUT":
        app.put_session(*URL, validate_session(body, "2.2.1"))
    else:
        app.patch_session(*URL, validate_session_patch(body, "2.2.1"))


def model_of(bodies: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    """PUT replaces the object, PATCH merges its fields (null clears) and appends its periods."""
    state: dict[str, Any] = {}
    for method, body in bodies:
        if method == "PUT":
            state = {name: value for name, value in body.items() if name != "charging_periods"}
            state["charging_periods"] = list(body.get("charging_periods", []))
            continue
        for name, value in body.items():
            if name == "charging_periods":
                state[name] = state[name] + value
            elif value is None:
                state.pop(name, None)
            else:
                state[name] = value
    if not state["charging_periods"]:
        del state["charging_periods"]
    return state


def non_stale(bodies: list[tuple[str, dict[str, Any]]]) -> list[tuple[str, dict[str, Any]]]:
    kept, latest = [], ""
    for method, body in bodies:
        if body["last_updated"] >= latest:  # same-format UTC texts order as instants
            kept.append((method, body))
            latest = body["last_updated"]
    return kept


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(history=histories)
def test_R13_any_update_order_ends_as_the_non_stale_updates_applied_in_order(history: list[Update]) -> None:
    bodies = wire_bodies(history)
    every, only_current = ChargingSessions(env=IN_MEMORY), ChargingSessions(env=IN_MEMORY)

    for method, body in bodies:
        apply(every, method, body)
    for method, body in non_stale(bodies):
        apply(only_current, method, body)

    served = every.get_session(*URL).render("2.2.1")
    assert served == only_current.get_session(*URL).render("2.2.1")
    assert served == model_of(non_stale(bodies))
    ignored = [e for e in every.events.get(every.get_session(*URL).id) if type(e).__name__ == "StaleUpdateIgnored"]
    assert len(ignored) == len(bodies) - len(non_stale(bodies))


@settings(max_examples=40, deadline=None)
@given(history=histories)
def test_R6_periods_only_grow_under_patch(history: list[Update]) -> None:
    app = ChargingSessions(env=IN_MEMORY)

    for method, body in wire_bodies(history):
        before = app.get_session(*URL).stored["charging_periods"] if method == "PATCH" else []
        apply(app, method, body)
        after = app.get_session(*URL).stored["charging_periods"]
        assert after[: len(before)] == before
