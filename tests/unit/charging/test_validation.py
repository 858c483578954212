"""Schema validation of both OCPI versions: every error is OCPI 2001 and names the field."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from domain.charging.errors import InvalidSessionInputError, MissingFieldError
from domain.charging.validation import validate_charging_preferences, validate_session, validate_session_patch
from domain.charging.vocabulary import ProfileType
from tests.unit.charging.conftest import period, session_body
from tests.unit.charging.examples import SESSION_JUST_STARTED_2_3_0, load

VERSIONS = ("2.2.1", "2.3.0")


def refusal(body: Any, version: str = "2.2.1") -> InvalidSessionInputError:
    with pytest.raises(InvalidSessionInputError) as caught:
        validate_session(body, version)
    assert caught.value.ocpi_status == 2001
    return caught.value


def patch_refusal(body: Any, version: str = "2.2.1") -> InvalidSessionInputError:
    with pytest.raises(InvalidSessionInputError) as caught:
        validate_session_patch(body, version)
    assert caught.value.ocpi_status == 2001
    return caught.value


def body_2_3_0(**fields: Any) -> dict[str, Any]:
    return load(SESSION_JUST_STARTED_2_3_0) | fields


# -- required fields and nested objects ---------------------------------------------------------------


@pytest.mark.parametrize("name", ["country_code", "kwh", "cdr_token", "currency", "status", "last_updated"])
def test_D11_a_session_without_a_required_field_is_refused_with_2001_naming_it(name: str) -> None:
    error = refusal(session_body(**{name: None}))

    assert isinstance(error, MissingFieldError)
    assert (error.field, error.message) == (name, f"Missing required field: {name}")


def test_D11_a_nested_missing_field_is_named_by_its_path() -> None:
    token = {"country_code": "NL", "party_id": "TST", "uid": "123abc", "type": "RFID"}

    error = refusal(session_body(cdr_token=token))

    assert error.message == "Missing required field: cdr_token.contract_id"


def test_D11_a_body_that_is_not_an_object_is_refused() -> None:
    assert refusal([session_body()]).field == "body"


def test_D1_optional_fields_may_be_left_out_or_null() -> None:
    body = session_body(end_date_time=None, meter_id=None, total_cost=None)
    body["authorization_reference"] = None

    session = validate_session(body, "2.2.1")

    assert (session.end_date_time, session.authorization_reference, session.total_cost) == (None, None, None)


def test_D2_a_period_may_leave_out_its_tariff_id() -> None:
    session = validate_session(session_body(charging_periods=[period("2020-03-09T10:17:09Z")]), "2.2.1")

    assert session.charging_periods[0].tariff_id is None


def test_R19_a_charging_period_needs_at_least_one_dimension() -> None:
    body = session_body(charging_periods=[{"start_date_time": "2020-03-09T10:17:09Z", "dimensions": []}])

    error = refusal(body)

    assert error.field == "charging_periods[0].dimensions"


def test_R17_RESERVED_is_not_a_session_status() -> None:
    error = refusal(session_body(status="RESERVED"))

    assert error.field == "status"
    assert "RESERVATION" in error.message


def test_R18_every_auth_method_of_the_spec_is_accepted() -> None:
    for method in ("AUTH_REQUEST", "COMMAND", "WHITELIST"):
        assert validate_session(session_body(auth_method=method), "2.2.1").auth_method == method


# -- Price per version (D16, D17) ----------------------------------------------------------------------


def test_D17_a_2_2_1_price_without_excl_vat_is_refused_with_2001() -> None:
    error = refusal(session_body(total_cost={"before_taxes": 2.5}))

    assert error.message == "Missing required field: total_cost.excl_vat"


def test_D17_a_2_3_0_price_without_before_taxes_is_refused_with_2001() -> None:
    error = refusal(body_2_3_0(total_cost={"excl_vat": 2.5}), "2.3.0")

    assert error.message == "Missing required field: total_cost.before_taxes"


def test_D16_a_2_3_0_tax_without_amount_is_refused() -> None:
    error = refusal(body_2_3_0(total_cost={"before_taxes": 2.5, "taxes": [{"name": "VAT"}]}), "2.3.0")

    assert error.field == "total_cost.taxes[0].amount"


def test_D16_a_price_that_is_not_a_number_is_refused() -> None:
    error = refusal(body_2_3_0(total_cost={"before_taxes": "abc"}), "2.3.0")

    assert error.field == "total_cost.before_taxes"


def test_D16_a_2_2_1_price_keeps_excl_vat_as_before_taxes() -> None:
    session = validate_session(session_body(total_cost={"excl_vat": 8.5, "incl_vat": 9.35}), "2.2.1")

    assert session.total_cost is not None
    assert (session.total_cost.before_taxes, session.total_cost.incl_vat) == (Decimal("8.5"), Decimal("9.35"))


# -- token types (D18) ---------------------------------------------------------------------------------


def test_D18_EMAID_is_accepted_in_2_3_0() -> None:
    body = body_2_3_0()
    body["cdr_token"] = body["cdr_token"] | {"type": "EMAID"}

    assert validate_session(body, "2.3.0").cdr_token.type == "EMAID"


def test_D18_an_unknown_token_type_is_accepted_in_2_3_0_where_the_enum_is_open() -> None:
    body = body_2_3_0()
    body["cdr_token"] = body["cdr_token"] | {"type": "FUTURE_TOKEN"}

    assert validate_session(body, "2.3.0").cdr_token.type == "FUTURE_TOKEN"


def test_D18_EMAID_is_refused_in_2_2_1() -> None:
    body = session_body()
    body["cdr_token"] = body["cdr_token"] | {"type": "EMAID"}

    assert refusal(body).field == "cdr_token.type"


# -- unknown fields (D20, D24) -------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_D24_unknown_fields_are_kept_not_refused(version: str) -> None:
    body = body_2_3_0() if version == "2.3.0" else session_body()
    body["soc_start"] = 20.5
    body["cdr_token"] = body["cdr_token"] | {"whitelist": "ALWAYS"}

    session = validate_session(body, version)

    assert session.extra == {"soc_start": 20.5}
    assert session.cdr_token.extra == {"whitelist": "ALWAYS"}


def test_D20_the_library_extension_fields_are_never_required() -> None:
    session = validate_session(body_2_3_0(), "2.3.0")

    assert session.extra == {}


# -- basic types (CH-3, CH-4, CH-5) --------------------------------------------------------------------


@pytest.mark.parametrize("kwh", ["12.5", True, None, float("nan"), Decimal("Infinity"), 10**15])
def test_CH3_kwh_must_be_a_finite_json_number(kwh: Any) -> None:
    assert refusal(session_body(kwh=kwh)).field == "kwh"  # None: left out


def test_CH3_a_float_is_kept_exactly_as_written() -> None:
    assert validate_session(session_body(kwh=0.718), "2.2.1").kwh == Decimal("0.718")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("country_code", "NLD"),  # CiString(2)
        ("party_id", "STKX"),  # CiString(3)
        ("id", "x" * 37),  # CiString(36)
        ("id", ""),  # an identity part is never empty
        ("location_id", "LOC\t1"),  # CiString: printable ASCII only
        ("evse_uid", "EVSE-é"),
        ("meter_id", "m" * 256),  # string(255)
        ("meter_id", "meter\n1"),  # string: no control characters
    ],
)
def test_CH4_strings_follow_their_ocpi_type(name: str, value: str) -> None:
    assert refusal(session_body(**{name: value})).field == name


def test_CH4_a_string_field_takes_printable_utf8() -> None:
    assert validate_session(session_body(meter_id="Zähler Ω"), "2.2.1").meter_id == "Zähler Ω"


def test_R1_cistrings_keep_their_casing() -> None:
    session = validate_session(session_body(country_code="nl", party_id="Stk"), "2.2.1")

    assert (session.country_code, session.party_id) == ("nl", "Stk")


@pytest.mark.parametrize("value", ["EURO", "eur", "E1R", 978])
def test_CH5_currency_is_an_iso_4217_code(value: Any) -> None:
    assert refusal(session_body(currency=value)).field == "currency"


def test_D19_a_date_time_that_is_not_rfc_3339_is_refused_naming_the_field() -> None:
    error = refusal(session_body(charging_periods=[period("2020-03-09")]))

    assert error.field == "charging_periods[0].start_date_time"


# -- PATCH bodies (R-4, R-5, CH-10) --------------------------------------------------------------------


def test_R4_a_patch_without_last_updated_is_refused_with_2001() -> None:
    error = patch_refusal({"kwh": 15})

    assert isinstance(error, MissingFieldError)
    assert error.message == "Missing required field: last_updated"


def test_R5_a_patch_with_a_partial_cdr_token_is_refused() -> None:
    error = patch_refusal({"cdr_token": {"uid": "999"}, "last_updated": "2020-03-09T10:20:00Z"})

    assert error.field == "cdr_token.country_code"


def test_R5_a_patch_with_a_partial_total_cost_is_refused() -> None:
    error = patch_refusal({"total_cost": {"incl_vat": 3}, "last_updated": "2020-03-09T10:20:00Z"})

    assert error.message == "Missing required field: total_cost.excl_vat"


def test_CH10_a_patch_may_not_null_a_required_field() -> None:
    error = patch_refusal({"kwh": None, "last_updated": "2020-03-09T10:20:00Z"})

    assert error.message == "Missing required field: kwh"


def test_CH10_a_patch_nulling_an_optional_field_clears_it() -> None:
    patch = validate_session_patch({"total_cost": None, "last_updated": "2020-03-09T10:20:00Z"}, "2.2.1")

    assert patch.changes == {"total_cost": None}


def test_CH10_a_patch_with_null_periods_appends_nothing() -> None:
    patch = validate_session_patch({"charging_periods": None, "last_updated": "2020-03-09T10:20:00Z"}, "2.2.1")

    assert (patch.charging_periods, patch.changes) == ((), {})


def test_CH11_a_patch_keeps_the_identity_it_repeats_apart_from_the_changes() -> None:
    patch = validate_session_patch({"id": "101", "last_updated": "2020-03-09T10:20:00Z"}, "2.2.1")

    assert (patch.identity, patch.changes) == ({"id": "101"}, {})


# -- charging preferences (R-16) -----------------------------------------------------------------------


def test_R16_discharge_allowed_defaults_to_false() -> None:
    preferences = validate_charging_preferences({"profile_type": "FAST", "energy_need": 100}, "2.2.1")

    assert (preferences.profile_type, preferences.energy_need) == (ProfileType.FAST, Decimal(100))
    assert preferences.discharge_allowed is False


def test_D11_preferences_without_profile_type_are_refused_with_2001() -> None:
    with pytest.raises(MissingFieldError) as caught:
        validate_charging_preferences({"energy_need": 100}, "2.3.0")

    assert (caught.value.field, caught.value.ocpi_status) == ("profile_type", 2001)


def test_D11_an_unknown_profile_type_is_refused() -> None:
    with pytest.raises(InvalidSessionInputError) as caught:
        validate_charging_preferences({"profile_type": "TURBO"}, "2.3.0")

    assert caught.value.field == "profile_type"
