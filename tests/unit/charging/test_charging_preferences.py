"""Charging preferences on the sender side: answered with one ChargingPreferencesResponse (D15, CH-16)."""

from __future__ import annotations

from typing import Any

import pytest

from domain.charging.application import ChargingSessions
from domain.charging.errors import UnknownSessionError
from domain.charging.validation import validate_charging_preferences, validate_session
from tests.unit.charging.conftest import session_body

SESSION = ("NL", "STK", "101")


def start(app: ChargingSessions, status: str) -> None:
    app.put_session(*SESSION, validate_session(session_body(status=status), "2.2.1"))


def set_preferences(app: ChargingSessions, body: dict[str, Any]) -> Any:
    return app.set_charging_preferences(*SESSION, validate_charging_preferences(body, "2.2.1"))


@pytest.mark.parametrize("status", ["PENDING", "RESERVATION", "ACTIVE"])
def test_D15_preferences_for_an_ongoing_session_are_answered_ACCEPTED(app: ChargingSessions, status: str) -> None:
    start(app, status)

    outcome = set_preferences(app, {"profile_type": "FAST", "energy_need": 100})

    assert outcome.response == "ACCEPTED"


@pytest.mark.parametrize("status", ["COMPLETED", "INVALID"])
def test_CH16_preferences_for_a_finished_session_are_answered_NOT_POSSIBLE(app: ChargingSessions, status: str) -> None:
    start(app, status)

    assert set_preferences(app, {"profile_type": "GREEN"}).response == "NOT_POSSIBLE"


def test_CH16_a_departure_time_already_past_is_answered_NOT_POSSIBLE(app: ChargingSessions) -> None:
    start(app, "ACTIVE")  # the clock says 2020-03-09T12:00:00Z

    outcome = set_preferences(app, {"profile_type": "CHEAP", "departure_time": "2020-03-09T11:59:59Z"})

    assert outcome.response == "NOT_POSSIBLE"


def test_CH16_the_request_and_the_answer_are_recorded_with_the_default_discharge(
    app: ChargingSessions,
) -> None:
    start(app, "ACTIVE")

    outcome = set_preferences(app, {"profile_type": "REGULAR", "departure_time": "2020-03-09T18:00:00Z"})

    recorded = list(app.events.get(outcome.id))[-1]
    assert type(recorded).__name__ == "PreferencesSet"
    assert (recorded.answer, recorded.judged_at) == ("ACCEPTED", app.clock.now())
    assert recorded.preferences["discharge_allowed"] is False
    assert recorded.preferences["profile_type"] == "REGULAR"


def test_preferences_for_an_unknown_session_are_answered_unknown_session(app: ChargingSessions) -> None:
    with pytest.raises(UnknownSessionError) as caught:
        set_preferences(app, {"profile_type": "FAST"})

    assert (caught.value.ocpi_status, caught.value.message) == (2001, "Unknown session")
