"""Every example object of the spec comes back unchanged from validate -> store -> render in its version
(D1, D2, D16, D18, D19, D20, D24), apart from normalised date-times."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from domain.charging.application import ChargingSessions
from domain.charging.rendering import render_price, render_session
from domain.charging.validation import read_price, validate_session, validate_session_patch
from domain.charging.vocabulary import OcpiVersion
from tests.unit.charging.examples import (
    LIBRARY_FIXTURE_2_2_1,
    LIBRARY_FIXTURE_2_2_1_RENDERED,
    PATCH_CHARGING_PERIOD_2_3_0,
    PATCH_TOTAL_COST_2_3_0,
    ROUND_TRIP_PRICES,
    ROUND_TRIP_SESSIONS,
    SESSION_JUST_STARTED_2_2_1,
    SESSION_JUST_STARTED_2_3_0,
    SESSION_SHORT_FINISHED_2_2_1,
    SESSION_SHORT_FINISHED_2_3_0,
    load,
)


def put_and_get(app: ChargingSessions, body: dict, version: str) -> dict:
    session = validate_session(body, version)
    app.put_session(session.country_code, session.party_id, session.id, session)
    return app.get_session(session.country_code, session.party_id, session.id).render(version)


@pytest.mark.parametrize("name", sorted(ROUND_TRIP_SESSIONS))
def test_D1_every_spec_example_session_round_trips_unchanged_in_its_version(app: ChargingSessions, name: str) -> None:
    version, text = ROUND_TRIP_SESSIONS[name]

    served = put_and_get(app, load(text), version)

    assert served == load(text)


@pytest.mark.parametrize("name", sorted(ROUND_TRIP_SESSIONS))
def test_CH21_example_sessions_round_trip_through_a_snapshot_and_a_cold_load(
    app_factory: Callable[..., ChargingSessions], name: str
) -> None:
    version, text = ROUND_TRIP_SESSIONS[name]
    app = app_factory(AGGREGATE_CACHE_MAXSIZE="")  # no cache: every read replays the store
    session = validate_session(load(text), version)
    outcome = app.put_session(session.country_code, session.party_id, session.id, session)
    app.take_snapshot(outcome.id)

    served = app.get_session(session.country_code, session.party_id, session.id).render(version)

    assert served == load(text)


@pytest.mark.parametrize("version", sorted(ROUND_TRIP_PRICES))
def test_D16_the_price_example_of_each_version_round_trips(version: str) -> None:
    text = ROUND_TRIP_PRICES[version]

    price = read_price(OcpiVersion(version))(load(text), "total_cost")

    assert render_price(price.to_stored(), OcpiVersion(version)) == load(text)


def test_D19_the_library_fixture_comes_back_with_normalised_date_times_and_without_its_nulls(
    app: ChargingSessions,
) -> None:
    served = put_and_get(app, load(LIBRARY_FIXTURE_2_2_1), "2.2.1")

    assert served == load(LIBRARY_FIXTURE_2_2_1_RENDERED)


def test_R6_the_spec_patch_examples_apply_to_a_2_3_0_session(app: ChargingSessions) -> None:
    body = load(SESSION_JUST_STARTED_2_3_0) | {"status": "ACTIVE", "last_updated": "2019-06-23T08:00:00Z"}
    put_and_get(app, body, "2.3.0")

    for text in (PATCH_TOTAL_COST_2_3_0, PATCH_CHARGING_PERIOD_2_3_0):
        app.patch_session("NL", "STK", "101", validate_session_patch(load(text), "2.3.0"))
    served = app.get_session("NL", "STK", "101").render("2.3.0")

    patch = load(PATCH_CHARGING_PERIOD_2_3_0)
    assert served["kwh"] == patch["kwh"]
    assert served["total_cost"] == patch["total_cost"]
    assert served["charging_periods"] == patch["charging_periods"]
    assert served["last_updated"] == patch["last_updated"]


def test_CH7_a_2_2_1_price_is_served_in_2_3_0_with_its_vat_as_one_tax(app: ChargingSessions) -> None:
    session = validate_session(load(SESSION_SHORT_FINISHED_2_2_1), "2.2.1")

    served = render_session(session.to_stored(), "2.3.0")

    assert served["total_cost"] == load('{"before_taxes": 8.50, "taxes": [{"name": "VAT", "amount": 0.85}]}')


def test_CH7_a_2_3_0_price_is_served_in_2_2_1_with_its_taxes_added_to_incl_vat() -> None:
    session = validate_session(load(SESSION_SHORT_FINISHED_2_3_0), "2.3.0")

    served = render_session(session.to_stored(), "2.2.1")

    assert served["total_cost"] == load('{"excl_vat": 8.50, "incl_vat": 9.35}')


def test_CH7_a_price_without_vat_or_taxes_is_served_without_them_in_the_other_version() -> None:
    session = validate_session(load(SESSION_JUST_STARTED_2_2_1), "2.2.1")

    assert render_session(session.to_stored(), "2.3.0")["total_cost"] == load('{"before_taxes": 2.5}')
    assert render_session(session.to_stored(), "2.2.1") == load(SESSION_JUST_STARTED_2_2_1)


def test_CH8_an_EMAID_token_is_served_as_OTHER_in_2_2_1() -> None:
    body = load(SESSION_JUST_STARTED_2_3_0)
    body["cdr_token"]["type"] = "EMAID"
    session = validate_session(body, "2.3.0")

    assert render_session(session.to_stored(), "2.2.1")["cdr_token"]["type"] == "OTHER"
    assert render_session(session.to_stored(), "2.3.0")["cdr_token"]["type"] == "EMAID"
