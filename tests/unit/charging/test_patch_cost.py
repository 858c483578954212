"""CH-20: a PATCH costs the same on a session with 1,000 periods as on one with 10.

No timing here (the benchmark measures it): these tests prove the structure that keeps the cost flat.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, NoReturn

from domain.charging.application import ChargingSessions
from domain.charging.datetimes import format_datetime
from domain.charging.session import ChargingSession, SessionPolicy, UpdateResult
from domain.charging.validation import validate_session, validate_session_patch
from tests.unit.charging.conftest import period, session_body

START = datetime(2020, 3, 9, 10, 0, tzinfo=timezone.utc)


def minute(n: int) -> str:
    return format_datetime(START + timedelta(minutes=n))


def long_session(periods: int) -> ChargingSession:
    body = session_body(
        status="ACTIVE",
        charging_periods=[period(minute(n)) for n in range(periods)],
        last_updated=minute(periods),
    )
    return ChargingSession.create(validate_session(body, "2.2.1"))


class NoWalkList(list):  # type: ignore[type-arg]
    """A period list that fails the test when anything walks, compares or copies it whole."""

    def _walked(self, *_: Any) -> NoReturn:
        raise AssertionError("the PATCH walked every stored period")

    __iter__ = __eq__ = __ne__ = __contains__ = __reversed__ = copy = index = count = _walked  # type: ignore[assignment]


def test_CH20_a_patch_reads_only_the_last_stored_period() -> None:
    session = long_session(1000)
    session.charging_periods = NoWalkList(session.charging_periods)
    body = {"kwh": 12, "charging_periods": [period(minute(1001))], "last_updated": minute(1001)}

    result = session.patch(validate_session_patch(body, "2.2.1"), SessionPolicy())

    assert result is UpdateResult.APPLIED
    assert list.__len__(session.charging_periods) == 1001


def test_CH20_a_patch_records_only_what_it_changed(app: ChargingSessions) -> None:
    body = session_body(
        status="ACTIVE", charging_periods=[period(minute(n)) for n in range(1000)], last_updated=minute(1000)
    )
    app.put_session("NL", "STK", "101", validate_session(body, "2.2.1"))

    patch = {"kwh": 12, "charging_periods": [period(minute(1001))], "last_updated": minute(1001)}
    outcome = app.patch_session("NL", "STK", "101", validate_session_patch(patch, "2.2.1"))

    fields, appended = list(app.events.get(outcome.id))[-2:]
    assert set(fields.changes) == {"kwh", "last_updated"}
    assert len(appended.charging_periods) == 1


def test_CH20_the_application_snapshots_a_session_every_100_events(app: ChargingSessions) -> None:
    app.put_session(
        "NL", "STK", "101", validate_session(session_body(status="ACTIVE", last_updated=minute(0)), "2.2.1")
    )
    for n in range(1, 100):
        patch = {"charging_periods": [period(minute(n))], "last_updated": minute(n)}
        outcome = app.patch_session("NL", "STK", "101", validate_session_patch(patch, "2.2.1"))

    assert app.snapshots is not None
    (snapshot,) = app.snapshots.get(outcome.id)
    assert snapshot.originator_version == 100
    assert len(app.get_session("NL", "STK", "101").stored["charging_periods"]) == 99
