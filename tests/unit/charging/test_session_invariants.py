"""The invariants of a charging session (status, currency, period order) and what is deliberately not
enforced, through the ``ChargingSessions`` application on the in-memory store.  Every refusal is OCPI 2001."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest

from domain.charging.application import ChargingSessions
from domain.charging.errors import (
    CurrencyChangeError,
    PeriodOrderError,
    SessionFinalError,
    StatusTransitionError,
)
from domain.charging.session import UpdateResult
from domain.shared.errors import RuleViolationError
from tests.unit.charging.commands import T0, T1, patch, put, recorded, refused, served
from tests.unit.charging.conftest import period

# -- status (CH-14, R-7) -------------------------------------------------------------------------------


def test_CH14_pending_to_active_records_the_status_change(app: ChargingSessions) -> None:
    put(app)

    outcome = patch(app, {"status": "ACTIVE", "start_date_time": T1, "last_updated": T1})

    changed = recorded(app, outcome)[-1]
    assert type(changed).__name__ == "StatusChanged"
    assert (changed.from_status, changed.to_status) == ("PENDING", "ACTIVE")


@pytest.mark.parametrize(
    ("start", "to"), [("ACTIVE", "PENDING"), ("ACTIVE", "RESERVATION"), ("PENDING", "RESERVATION")]
)
def test_CH14_a_status_change_the_spec_does_not_allow_is_refused(app: ChargingSessions, start: str, to: str) -> None:
    put(app, status=start)

    error = refused(StatusTransitionError, lambda: patch(app, {"status": to, "last_updated": T1}))

    assert isinstance(error, RuleViolationError)
    assert error.message == f"Session status cannot change from {start} to {to}"
    assert served(app)["status"] == start


@pytest.mark.parametrize("status", ["PENDING", "RESERVATION", "ACTIVE", "COMPLETED", "INVALID"])
def test_CH14_a_session_may_first_be_seen_in_any_status(app: ChargingSessions, status: str) -> None:
    assert put(app, status=status).created


@pytest.mark.parametrize(
    ("start", "to"), [("RESERVATION", "ACTIVE"), ("RESERVATION", "COMPLETED"), ("PENDING", "INVALID")]
)
def test_CH14_the_spec_transitions_are_allowed(app: ChargingSessions, start: str, to: str) -> None:
    put(app, status=start)

    put(app, status=to, last_updated=T1)

    assert served(app)["status"] == to


@pytest.mark.parametrize("final", ["COMPLETED", "INVALID"])
def test_R7_a_final_session_refuses_later_changes(app: ChargingSessions, final: str) -> None:
    put(app, status=final)

    error = refused(SessionFinalError, lambda: patch(app, {"kwh": 1, "last_updated": T1}))

    assert error.message == f"Session is {final}: no more changes are accepted"


def test_R7_a_final_session_re_sent_unchanged_with_a_newer_timestamp_is_accepted(
    app: ChargingSessions,
) -> None:
    first = put(app, status="COMPLETED")

    again = put(app, status="COMPLETED", last_updated=T1)

    assert (again.result, again.version) == (UpdateResult.UNCHANGED, first.version)


def test_CH17_with_final_statuses_open_a_completed_session_may_change(
    app_factory: Callable[..., ChargingSessions],
) -> None:
    app = app_factory(CHARGING_FINAL_STATUSES="open")
    put(app, status="COMPLETED")

    patch(app, {"status": "ACTIVE", "last_updated": T1})

    assert served(app)["status"] == "ACTIVE"


# -- currency and periods (CH-22, R-19, CH-12) ---------------------------------------------------------


def test_CH22_the_currency_cannot_change_by_patch(app: ChargingSessions) -> None:
    put(app)

    error = refused(CurrencyChangeError, lambda: patch(app, {"currency": "USD", "last_updated": T1}))

    assert error.message == "Session currency is EUR and cannot change to USD"


def test_CH22_the_currency_cannot_change_by_put(app: ChargingSessions) -> None:
    put(app)

    refused(CurrencyChangeError, lambda: put(app, currency="USD", last_updated=T1))


@pytest.mark.parametrize("start", [T0, "2020-03-09T10:00:00Z"])
def test_R19_a_patched_period_must_start_after_the_last_stored_one(app: ChargingSessions, start: str) -> None:
    put(app, status="ACTIVE", charging_periods=[period(T0)])

    error = refused(PeriodOrderError, lambda: patch(app, {"charging_periods": [period(start)], "last_updated": T1}))

    assert "cannot follow one starting at 2020-03-09T10:17:09Z" in error.message
    assert len(served(app)["charging_periods"]) == 1


def test_R19_a_put_with_periods_out_of_order_is_refused(app: ChargingSessions) -> None:
    refused(PeriodOrderError, lambda: put(app, charging_periods=[period(T1), period(T0)]))


# -- not enforced on purpose (R-11, R-12) --------------------------------------------------------------


def test_R11_kwh_may_go_down_and_need_not_equal_the_energy_dimensions(app: ChargingSessions) -> None:
    put(app, status="ACTIVE", kwh=10, charging_periods=[period(T0, ("ENERGY", 120))])

    patch(app, {"kwh": -2.5, "last_updated": T1})

    assert served(app)["kwh"] == Decimal("-2.5")


def test_R12_a_completed_session_needs_no_end_date_time_and_may_end_before_it_started(
    app: ChargingSessions,
) -> None:
    put(app, status="COMPLETED")
    assert "end_date_time" not in served(app)

    other = put(app, ("NL", "STK", "102"), id="102", status="COMPLETED", end_date_time="2020-03-09T09:00:00Z")

    assert other.created
