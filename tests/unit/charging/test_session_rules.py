"""The rules of a charging session's PUT and PATCH, through the ``ChargingSessions`` application on the
in-memory store.

The session is the spec's "just starting" 2.2.1 example (NL/STK/101, PENDING, last updated 10:17:09Z);
each test changes what it needs.  Every refusal is OCPI 2001.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from domain.charging.application import ChargingSessions
from domain.charging.errors import IdentityMismatchError, UnknownSessionError
from domain.charging.session import ChargingSession, UpdateResult
from domain.charging.validation import validate_session, validate_session_patch
from domain.shared.errors import InvalidInputError, NotFoundError
from tests.unit.charging.commands import T0, T1, T2, names, patch, put, recorded, refused, served
from tests.unit.charging.conftest import period, session_body

# -- identity (R-1, R-2) -------------------------------------------------------------------------------


def test_R1_identities_differing_only_in_case_are_one_session_keeping_the_latest_put_casing(
    app: ChargingSessions,
) -> None:
    first = put(app, ("nl", "stk", "101"), country_code="nl", party_id="stk")

    second = put(app, last_updated=T1)

    assert (second.id, second.created) == (first.id, False)
    assert (served(app)["country_code"], served(app)["party_id"]) == ("NL", "STK")
    assert app.get_session("nL", "sTk", "101").id == first.id


def test_R2_a_put_whose_url_party_differs_from_the_body_is_refused(app: ChargingSessions) -> None:
    error = refused(IdentityMismatchError, lambda: put(app, ("NL", "XXX", "101")))

    assert isinstance(error, InvalidInputError)
    assert error.field == "party_id"


def test_R2_a_put_whose_url_id_differs_from_the_body_id_is_refused(app: ChargingSessions) -> None:
    error = refused(IdentityMismatchError, lambda: put(app, ("NL", "STK", "102")))

    assert error.message == "Invalid field id: the URL says '102' but the body says '101'"


def test_CH11_a_patch_repeating_another_id_is_refused(app: ChargingSessions) -> None:
    put(app)

    error = refused(IdentityMismatchError, lambda: patch(app, {"id": "999", "last_updated": T1}))

    assert error.field == "id"


def test_CH11_a_patch_repeating_the_identity_in_other_casing_changes_nothing(app: ChargingSessions) -> None:
    put(app)

    outcome = patch(app, {"country_code": "nl", "party_id": "stk", "last_updated": T0})

    assert outcome.result is UpdateResult.UNCHANGED
    assert served(app)["country_code"] == "NL"


# -- PUT (R-3, D5) -------------------------------------------------------------------------------------


def test_D5_a_first_put_creates_and_a_second_replaces(app: ChargingSessions) -> None:
    first = put(app)
    second = put(app, kwh=1.5, last_updated=T1)

    assert (first.created, first.version, second.created, second.version) == (True, 1, False, 2)
    assert names(app, second) == ["Created", "Replaced"]


def test_D5_the_loser_of_two_racing_first_puts_runs_again_as_a_replace(
    app: ChargingSessions, monkeypatch: pytest.MonkeyPatch
) -> None:
    create = ChargingSession.create

    def create_after_a_rival(session: Any) -> ChargingSession:
        monkeypatch.setattr(ChargingSession, "create", create)
        app.save(create(validate_session(session_body(kwh=7), "2.2.1")))  # the rival's PUT is saved first
        return create(session)

    monkeypatch.setattr(ChargingSession, "create", create_after_a_rival)

    outcome = put(app, kwh=9, last_updated=T1)

    assert (outcome.created, outcome.version) == (False, 2)
    assert served(app)["kwh"] == 9


def test_R3_a_put_replaces_the_whole_object_and_empties_left_out_periods(app: ChargingSessions) -> None:
    put(app, status="ACTIVE", meter_id="M1", charging_periods=[period(T0)])

    put(app, status="ACTIVE", last_updated=T1, total_cost=None)

    assert "meter_id" not in served(app)
    assert "total_cost" not in served(app)
    assert "charging_periods" not in served(app)


def test_R3_a_put_replaces_the_periods_with_its_own(app: ChargingSessions) -> None:
    put(app, status="ACTIVE", charging_periods=[period(T0), period(T1)])

    put(app, status="ACTIVE", last_updated=T2, charging_periods=[period(T2)])

    assert [p["start_date_time"] for p in served(app)["charging_periods"]] == [T2]


# -- PATCH (R-4..R-6, CH-10) ---------------------------------------------------------------------------


def test_R6_a_patch_appends_its_periods(app: ChargingSessions) -> None:
    put(app, status="ACTIVE", charging_periods=[period(T0)])

    outcome = patch(app, {"kwh": 2, "charging_periods": [period(T1)], "last_updated": T1})

    assert [p["start_date_time"] for p in served(app)["charging_periods"]] == [T0, T1]
    appended = recorded(app, outcome)[-1]
    assert type(appended).__name__ == "PeriodsAppended"
    assert (len(appended.charging_periods), appended.period_count) == (1, 2)


def test_R6_a_patch_with_empty_periods_leaves_the_stored_ones(app: ChargingSessions) -> None:
    put(app, status="ACTIVE", charging_periods=[period(T0)])

    patch(app, {"charging_periods": [], "last_updated": T1})

    assert len(served(app)["charging_periods"]) == 1


def test_R5_a_patch_replaces_a_nested_object_whole(app: ChargingSessions) -> None:
    put(app)
    token = {"country_code": "DE", "party_id": "ABC", "uid": "999", "type": "APP_USER", "contract_id": "C-9"}

    patch(app, {"cdr_token": token, "last_updated": T1})

    assert served(app)["cdr_token"] == token


def test_R4_a_patch_merges_only_the_fields_it_sends(app: ChargingSessions) -> None:
    put(app)

    outcome = patch(app, {"kwh": 3.25, "last_updated": T1})

    assert served(app) == session_body(kwh=Decimal("3.25"), last_updated=T1)
    changes = recorded(app, outcome)[-1].changes
    assert changes == {
        "kwh": Decimal("3.25"),
        "last_updated": validate_session_patch({"last_updated": T1}, "2.2.1").last_updated,
    }


def test_CH10_a_patch_with_null_clears_an_optional_field(app: ChargingSessions) -> None:
    put(app, meter_id="M1")

    patch(app, {"meter_id": None, "last_updated": T1})

    assert "meter_id" not in served(app)


def test_R10_a_total_cost_of_zero_is_kept_apart_from_an_unknown_one(app: ChargingSessions) -> None:
    put(app, total_cost={"excl_vat": 0})

    assert served(app)["total_cost"] == {"excl_vat": 0}
    patch(app, {"total_cost": None, "last_updated": T1})
    assert "total_cost" not in served(app)


def test_CH6_unknown_fields_merge_under_patch_and_null_removes_one(app: ChargingSessions) -> None:
    put(app, soc_start=20, vendor={"a": 1})

    patch(app, {"soc_end": 80, "vendor": None, "last_updated": T1})

    assert (served(app)["soc_start"], served(app)["soc_end"]) == (20, 80)
    assert "vendor" not in served(app)


def test_a_patch_of_an_unknown_session_is_answered_unknown_session(app: ChargingSessions) -> None:
    error = refused(UnknownSessionError, lambda: patch(app, {"kwh": 1, "last_updated": T1}))

    assert isinstance(error, NotFoundError)
    assert error.message == "Unknown session"


# -- stale and repeated updates (R-13, CH-13) -----------------------------------------------------------


def test_R13_a_stale_patch_is_a_recorded_noop(app: ChargingSessions) -> None:
    put(app, last_updated=T2)

    outcome = patch(app, {"kwh": 9, "last_updated": T1})

    assert outcome.result is UpdateResult.IGNORED_AS_STALE
    assert served(app) == session_body(last_updated=T2)
    ignored = recorded(app, outcome)[-1]
    assert type(ignored).__name__ == "StaleUpdateIgnored"
    assert ignored.method == "PATCH"
    assert (ignored.received_last_updated.minute, ignored.current_last_updated.minute) == (18, 19)


def test_R13_a_stale_put_is_a_recorded_noop(app: ChargingSessions) -> None:
    put(app, last_updated=T2)

    outcome = put(app, kwh=5, last_updated=T1)

    assert (outcome.result, outcome.version) == (UpdateResult.IGNORED_AS_STALE, 2)
    assert served(app)["kwh"] == 0


def test_R13_a_repeated_put_with_the_same_last_updated_records_nothing(app: ChargingSessions) -> None:
    first = put(app)

    again = put(app)

    assert (again.result, again.version) == (UpdateResult.UNCHANGED, first.version)


def test_CH13_a_repeated_patch_does_not_append_its_periods_twice(app: ChargingSessions) -> None:
    put(app, status="ACTIVE")
    body = {"kwh": 1, "charging_periods": [period(T1)], "last_updated": T1}
    first = patch(app, body)

    again = patch(app, body)

    assert (again.result, again.version) == (UpdateResult.UNCHANGED, first.version)
    assert len(served(app)["charging_periods"]) == 1


def test_CH13_an_update_with_the_same_last_updated_and_new_content_is_applied(app: ChargingSessions) -> None:
    put(app)

    outcome = patch(app, {"kwh": 4, "last_updated": T0})

    assert outcome.result is UpdateResult.APPLIED
    assert served(app)["kwh"] == 4


def test_CH17_with_stale_updates_applied_an_older_patch_changes_the_session(
    app_factory: Callable[..., ChargingSessions],
) -> None:
    app = app_factory(CHARGING_STALE_UPDATES="apply")
    put(app, last_updated=T2)

    patch(app, {"kwh": 9, "last_updated": T1})

    assert (served(app)["kwh"], served(app)["last_updated"]) == (9, T1)
