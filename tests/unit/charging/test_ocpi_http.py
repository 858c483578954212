"""The OCPI HTTP surface, rule by rule: each R-rule of the spec's §9 and each §12 choice (D1-D24) with the
exact HTTP status and OCPI status code, through the real FastAPI app over the in-memory store.

The sender list (R-14, D13, D14) needs the read model: it is proven over the running service in
``tests/e2e/test_charging_ocpi.py``.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, cast

import httpx
import pytest
from fastapi.testclient import TestClient

from domain.charging.application import ChargingSessions
from domain.charging.identity import session_aggregate_id
from domain.shared.clock import FrozenClock
from infra.api.app import create_app
from infra.container import Container
from infra.settings import Settings
from tests.unit.charging.conftest import IN_MEMORY, NOW, period, session_body
from tests.unit.charging.examples import SESSION_EMAID_WITH_EXTENSIONS_2_3_0, SESSION_JUST_STARTED_2_3_0, load

TOKENS = "cpo-nl-stk:NL:STK,cpo-be-bec:BE:BEC,emsp-nl-tst:NL:TST"
URL = "/ocpi/emsp/2.2.1/sessions/NL/STK/101"
T0, T1, T2 = "2020-03-09T10:17:09Z", "2020-03-09T10:18:00Z", "2020-03-09T10:19:00Z"


class Tripwire:
    def __getattr__(self, attr: str) -> Any:
        raise AssertionError(f"the read models were touched ({attr})")


@dataclass
class FakeContainer:
    clock: FrozenClock = field(default_factory=lambda: FrozenClock(NOW))
    settings: Settings = field(
        default_factory=lambda: Settings(SESSIONSTREAM_API_TOKENS="w:write", SESSIONSTREAM_OCPI_TOKENS=TOKENS)
    )
    pool: Any = field(default_factory=Tripwire)
    charging: ChargingSessions = field(init=False)

    def __post_init__(self) -> None:
        self.charging = ChargingSessions(env=IN_MEMORY, clock=self.clock)


def token(raw: str) -> dict[str, str]:
    return {"Authorization": "Token " + base64.b64encode(raw.encode()).decode()}


@pytest.fixture
def fake() -> FakeContainer:
    return FakeContainer()


@pytest.fixture
def ocpi(fake: FakeContainer) -> Iterator[TestClient]:
    app = create_app(cast(Container, fake))
    with TestClient(app, raise_server_exceptions=False, headers=token("cpo-nl-stk")) as client:
        yield client


def send(client: TestClient, method: str, body: Any, url: str = URL, **kwargs: Any) -> httpx.Response:
    content = body if isinstance(body, (bytes, str)) else json.dumps(body, default=float)
    return client.request(method, url, content=content, headers={"Content-Type": "application/json"}, **kwargs)


def answer(response: httpx.Response, http: int, ocpi: int) -> dict[str, Any]:
    """The envelope, after checking its HTTP status and OCPI status code."""
    body = json.loads(response.content, parse_float=Decimal)
    assert (response.status_code, body["status_code"]) == (http, ocpi), body
    assert set(body) <= {"data", "status_code", "status_message", "timestamp"}
    assert body["timestamp"] == "2020-03-09T12:00:00Z"
    return body


def served(client: TestClient, url: str = URL) -> dict[str, Any]:
    return answer(client.get(url), 200, 1000)["data"]


def put_session(client: TestClient, **fields: Any) -> httpx.Response:
    return send(client, "PUT", session_body(**fields))


# -- the spec's rules (§9) -----------------------------------------------------------------------------


def test_R1_the_identity_is_case_insensitive_and_keeps_the_senders_casing(ocpi: TestClient) -> None:
    answer(send(ocpi, "PUT", session_body(id="AbC"), "/ocpi/emsp/2.2.1/sessions/nl/stk/abc"), 201, 1000)

    data = served(ocpi, "/ocpi/emsp/2.2.1/sessions/NL/STK/ABC")

    assert data["id"] == "AbC"


def test_R2_a_body_naming_another_session_than_the_url_is_2001(ocpi: TestClient) -> None:
    body = answer(send(ocpi, "PUT", session_body(), "/ocpi/emsp/2.2.1/sessions/NL/STK/102"), 200, 2001)

    assert body["status_message"] == "Invalid field id: the URL says '102' but the body says '101'"


def test_R2_a_party_pushing_under_another_partys_identity_gets_404(ocpi: TestClient) -> None:
    body = session_body(country_code="BE", party_id="BEC")

    answer(send(ocpi, "PUT", body, "/ocpi/emsp/2.2.1/sessions/BE/BEC/101"), 404, 2001)


def test_R3_a_put_replaces_the_whole_session_and_its_periods(ocpi: TestClient) -> None:
    put_session(ocpi, meter_id="M1", charging_periods=[period(T0)])

    answer(put_session(ocpi, last_updated=T1), 200, 1000)

    assert "meter_id" not in served(ocpi) and "charging_periods" not in served(ocpi)


def test_R4_a_patch_without_last_updated_is_2001(ocpi: TestClient) -> None:
    put_session(ocpi)

    body = answer(send(ocpi, "PATCH", {"kwh": 3}), 200, 2001)

    assert body["status_message"] == "Missing required field: last_updated"


def test_R5_a_patch_with_a_partial_cdr_token_is_2001(ocpi: TestClient) -> None:
    put_session(ocpi)

    body = answer(send(ocpi, "PATCH", {"cdr_token": {"uid": "x"}, "last_updated": T1}), 200, 2001)

    assert body["status_message"] == "Missing required field: cdr_token.country_code"


def test_R6_patch_periods_are_appended_and_an_empty_list_changes_nothing(ocpi: TestClient) -> None:
    put_session(ocpi, status="ACTIVE", charging_periods=[period(T0)])

    answer(send(ocpi, "PATCH", {"charging_periods": [period(T1)], "last_updated": T1}), 200, 1000)
    answer(send(ocpi, "PATCH", {"charging_periods": [], "last_updated": T2}), 200, 1000)

    assert [p["start_date_time"] for p in served(ocpi)["charging_periods"]] == [T0, T1]


def test_R7_a_completed_session_takes_no_more_changes_but_a_repeat_is_accepted(ocpi: TestClient) -> None:
    put_session(ocpi, status="COMPLETED")

    refused = answer(send(ocpi, "PATCH", {"kwh": 9, "last_updated": T1}), 200, 2001)
    answer(put_session(ocpi, status="COMPLETED"), 200, 1000)

    assert refused["status_message"] == "Session is COMPLETED: no more changes are accepted"
    assert served(ocpi)["kwh"] == 0


def test_R8_a_start_reset_on_activation_is_stored_as_sent(ocpi: TestClient) -> None:
    put_session(ocpi)

    answer(send(ocpi, "PATCH", {"status": "ACTIVE", "start_date_time": T1, "last_updated": T1}), 200, 1000)

    assert (served(ocpi)["status"], served(ocpi)["start_date_time"]) == ("ACTIVE", T1)


def test_R9_the_latest_authorization_reference_is_kept(ocpi: TestClient) -> None:
    put_session(ocpi, authorization_reference="REF1")

    answer(send(ocpi, "PATCH", {"authorization_reference": "REF2", "last_updated": T1}), 200, 1000)

    assert served(ocpi)["authorization_reference"] == "REF2"


def test_R10_an_absent_total_cost_stays_unknown_and_zero_means_free(ocpi: TestClient) -> None:
    answer(put_session(ocpi, total_cost=None), 201, 1000)
    assert "total_cost" not in served(ocpi)

    answer(send(ocpi, "PATCH", {"total_cost": {"excl_vat": 0}, "last_updated": T1}), 200, 1000)

    assert served(ocpi)["total_cost"] == {"excl_vat": 0}


def test_R11_kwh_may_go_down_and_need_not_add_up(ocpi: TestClient) -> None:
    put_session(ocpi, status="ACTIVE", kwh=10, charging_periods=[period(T0, ("ENERGY", 3))])

    answer(send(ocpi, "PATCH", {"kwh": 4, "last_updated": T1}), 200, 1000)

    assert served(ocpi)["kwh"] == 4


def test_R12_a_completed_session_needs_no_end_date_time(ocpi: TestClient) -> None:
    answer(put_session(ocpi, status="COMPLETED", end_date_time=None), 201, 1000)

    assert served(ocpi)["status"] == "COMPLETED"


def test_R13_a_stale_update_is_answered_1000_and_changes_nothing(ocpi: TestClient, fake: FakeContainer) -> None:
    put_session(ocpi, last_updated=T1)

    stale_put = answer(put_session(ocpi, kwh=5, last_updated=T0), 200, 1000)
    answer(send(ocpi, "PATCH", {"kwh": 6, "last_updated": T0}), 200, 1000)
    answer(send(ocpi, "PATCH", {"kwh": 7, "last_updated": T1}), 200, 1000)  # equal: applied

    assert stale_put["status_message"] == "Stale update ignored: the stored session is newer"
    assert served(ocpi)["kwh"] == 7
    events = fake.charging.events.get(session_aggregate_id("NL", "STK", "101"))
    assert [type(e).__name__ for e in events].count("StaleUpdateIgnored") == 2


def test_R15_NA_is_accepted_in_evse_uid_and_connector_id(ocpi: TestClient) -> None:
    answer(put_session(ocpi, status="RESERVATION", evse_uid="#NA", connector_id="#NA"), 201, 1000)

    assert (served(ocpi)["evse_uid"], served(ocpi)["connector_id"]) == ("#NA", "#NA")


def test_R16_discharge_allowed_defaults_to_false(ocpi: TestClient, fake: FakeContainer) -> None:
    put_session(ocpi, status="ACTIVE")

    url = "/ocpi/cpo/2.2.1/sessions/101/charging_preferences"
    answer(send(ocpi, "PUT", {"profile_type": "FAST"}, url), 200, 1000)

    stored = fake.charging.repository.get(session_aggregate_id("NL", "STK", "101"))
    assert stored.preferences["discharge_allowed"] is False


def test_R17_status_RESERVED_is_2001(ocpi: TestClient) -> None:
    body = answer(put_session(ocpi, status="RESERVED"), 200, 2001)

    assert body["status_message"].startswith("Invalid field status: must be one of")


def test_R18_auth_method_may_change_during_a_session(ocpi: TestClient) -> None:
    put_session(ocpi, auth_method="COMMAND", status="RESERVATION")

    answer(send(ocpi, "PATCH", {"auth_method": "WHITELIST", "status": "ACTIVE", "last_updated": T1}), 200, 1000)

    assert served(ocpi)["auth_method"] == "WHITELIST"


def test_R19_periods_out_of_order_or_without_dimensions_are_2001(ocpi: TestClient) -> None:
    put_session(ocpi, status="ACTIVE", charging_periods=[period(T1)])

    out_of_order = answer(send(ocpi, "PATCH", {"charging_periods": [period(T0)], "last_updated": T2}), 200, 2001)
    empty = {"start_date_time": T2, "dimensions": []}
    no_dimension = answer(send(ocpi, "PATCH", {"charging_periods": [empty], "last_updated": T2}), 200, 2001)

    assert out_of_order["status_message"].startswith("Charging periods must be in chronological order")
    assert no_dimension["status_message"].startswith("Invalid field charging_periods[0].dimensions")


# -- the spec's open choices (§12) ---------------------------------------------------------------------


def test_D1_optional_session_keys_may_be_left_out(ocpi: TestClient) -> None:
    answer(put_session(ocpi, total_cost=None, end_date_time=None, meter_id=None), 201, 1000)


def test_D2_a_period_may_leave_out_tariff_id(ocpi: TestClient) -> None:
    answer(put_session(ocpi, charging_periods=[period(T0)]), 201, 1000)

    assert "tariff_id" not in served(ocpi)["charging_periods"][0]


def test_D3_a_get_answers_one_session_object(ocpi: TestClient) -> None:
    put_session(ocpi)

    assert isinstance(served(ocpi), dict)


def test_D4_put_and_patch_answers_leave_data_out(ocpi: TestClient) -> None:
    created = answer(put_session(ocpi), 201, 1000)
    patched = answer(send(ocpi, "PATCH", {"kwh": 1, "last_updated": T1}), 200, 1000)

    assert "data" not in created and "data" not in patched


def test_D5_a_put_answers_201_when_it_creates_and_200_when_it_replaces(ocpi: TestClient) -> None:
    answer(put_session(ocpi), 201, 1000)
    answer(put_session(ocpi, kwh=1, last_updated=T1), 200, 1000)


def test_D6_a_patch_appends_periods(ocpi: TestClient) -> None:
    put_session(ocpi, status="ACTIVE", charging_periods=[period(T0)])

    answer(send(ocpi, "PATCH", {"charging_periods": [period(T1)], "last_updated": T1}), 200, 1000)

    assert len(served(ocpi)["charging_periods"]) == 2


def test_D7_last_updated_is_required_in_a_patch(ocpi: TestClient) -> None:
    put_session(ocpi)

    answer(send(ocpi, "PATCH", {"kwh": 1}), 200, 2001)


def test_D8_a_stale_patch_is_an_ignored_no_op(ocpi: TestClient) -> None:
    put_session(ocpi, last_updated=T1)

    answer(send(ocpi, "PATCH", {"kwh": 1, "last_updated": T0}), 200, 1000)

    assert served(ocpi)["kwh"] == 0


def test_D9_a_url_party_differing_from_the_body_is_2001(ocpi: TestClient) -> None:
    body = answer(send(ocpi, "PUT", session_body(party_id="stx"), URL), 200, 2001)

    assert body["status_message"] == "Invalid field party_id: the URL says 'STK' but the body says 'stx'"


@pytest.mark.parametrize("content", [b"{not json", b"", b"[1,"])
def test_D10_invalid_json_is_http_400(ocpi: TestClient, content: bytes) -> None:
    body = answer(send(ocpi, "PUT", content), 400, 2001)

    assert body["status_message"].startswith("Invalid JSON")


def test_D11_a_schema_error_is_http_200_with_2001_naming_the_field(ocpi: TestClient) -> None:
    bad = session_body(charging_periods=[period(T0, ("ENERGY", "12"))])

    body = answer(send(ocpi, "PUT", bad), 200, 2001)

    assert body["status_message"] == "Invalid field charging_periods[0].dimensions[0].volume: must be a number"


def test_D11_a_body_that_is_no_object_is_2001(ocpi: TestClient) -> None:
    answer(send(ocpi, "PUT", [1, 2]), 200, 2001)


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "Token " + base64.b64encode(b"nobody").decode(),
        "Token ",
        "Bearer " + base64.b64encode(b"cpo-nl-stk").decode(),
    ],
)
def test_D12_a_missing_or_unknown_token_is_http_401(fake: FakeContainer, authorization: str | None) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    with TestClient(create_app(cast(Container, fake)), headers=headers) as client:
        body = answer(send(client, "PUT", b"{not json"), 401, 2000)

    assert body["status_message"] == "A valid 'Authorization: Token <base64 token>' header is required."


def test_D12_a_raw_token_is_accepted_as_a_fallback(fake: FakeContainer) -> None:
    with TestClient(create_app(cast(Container, fake)), headers={"Authorization": "Token cpo-nl-stk"}) as client:
        answer(send(client, "PUT", session_body()), 201, 1000)


def test_D15_charging_preferences_are_answered_with_the_response_string(ocpi: TestClient) -> None:
    put_session(ocpi, status="ACTIVE")

    body = answer(
        send(ocpi, "PUT", {"profile_type": "GREEN"}, "/ocpi/cpo/2.3.0/sessions/101/charging_preferences"), 200, 1000
    )

    assert body["data"] == "ACCEPTED"


def test_D11_invalid_charging_preferences_are_2001(ocpi: TestClient) -> None:
    put_session(ocpi, status="ACTIVE")

    url = "/ocpi/cpo/2.2.1/sessions/101/charging_preferences"
    body = answer(send(ocpi, "PUT", {"profile_type": "XX"}, url), 200, 2001)

    assert body["status_message"].startswith("Invalid field profile_type: must be one of")


def test_D16_a_2_3_0_session_with_a_2_2_1_price_is_2001(ocpi: TestClient) -> None:
    body = session_body(total_cost={"excl_vat": 1})

    answer(send(ocpi, "PUT", body, "/ocpi/emsp/2.3.0/sessions/NL/STK/101"), 200, 2001)


def test_D17_a_price_without_its_required_key_is_2001(ocpi: TestClient) -> None:
    body = answer(put_session(ocpi, total_cost={"incl_vat": 2}), 200, 2001)

    assert body["status_message"] == "Missing required field: total_cost.excl_vat"


def test_D18_EMAID_is_accepted_in_2_3_0_and_refused_in_2_2_1(ocpi: TestClient) -> None:
    emaid = load(SESSION_EMAID_WITH_EXTENSIONS_2_3_0)
    emaid.update(country_code="NL", party_id="STK", id="101")

    answer(send(ocpi, "PUT", emaid, URL), 200, 2001)
    answer(send(ocpi, "PUT", emaid, "/ocpi/emsp/2.3.0/sessions/NL/STK/101"), 201, 1000)

    assert served(ocpi, "/ocpi/emsp/2.3.0/sessions/NL/STK/101")["cdr_token"]["type"] == "EMAID"
    assert served(ocpi)["cdr_token"]["type"] == "OTHER"


def test_D19_date_times_are_normalised_to_utc_keeping_fractions(ocpi: TestClient) -> None:
    answer(put_session(ocpi, start_date_time="2020-03-09 12:17:09.250+02:00"), 201, 1000)

    assert served(ocpi)["start_date_time"] == "2020-03-09T10:17:09.25Z"


def test_D20_the_librarys_2_3_0_extensions_are_kept(ocpi: TestClient) -> None:
    body = load(SESSION_JUST_STARTED_2_3_0) | {"soc_start": 20.5, "odometer": 12345}

    answer(send(ocpi, "PUT", body, "/ocpi/emsp/2.3.0/sessions/NL/STK/101"), 201, 1000)

    data = served(ocpi, "/ocpi/emsp/2.3.0/sessions/NL/STK/101")
    assert (data["soc_start"], data["odometer"]) == (Decimal("20.5"), 12345)


def test_D21_an_unknown_session_is_404_in_the_envelope(ocpi: TestClient) -> None:
    get = answer(ocpi.get(URL), 404, 2001)
    patch = answer(send(ocpi, "PATCH", {"kwh": 1, "last_updated": T1}), 404, 2001)

    assert get["status_message"] == patch["status_message"] == "Unknown session"


@pytest.mark.parametrize("url", [URL, URL + "/", "/ocpi/emsp/2.2.1/sessions//NL/STK/101"])
def test_D22_paths_are_served_with_or_without_a_trailing_slash_without_redirects(ocpi: TestClient, url: str) -> None:
    put_session(ocpi)

    response = ocpi.get(url, follow_redirects=False)

    answer(response, 200, 1000)


def test_D23_routing_headers_are_echoed_swapped(ocpi: TestClient) -> None:
    put_session(ocpi)
    sent = {
        "OCPI-from-country-code": "NL", "OCPI-from-party-id": "STK",
        "OCPI-to-country-code": "DE", "OCPI-to-party-id": "SSX",
    }  # fmt: skip

    response = ocpi.get(URL, headers=sent)

    got = {name: response.headers[name] for name in sent}
    assert got == {
        "OCPI-from-country-code": "DE", "OCPI-from-party-id": "SSX",
        "OCPI-to-country-code": "NL", "OCPI-to-party-id": "STK",
    }  # fmt: skip


def test_D24_unknown_fields_are_kept_at_every_level(ocpi: TestClient) -> None:
    body = session_body(x_note="kept", cdr_token={**session_body()["cdr_token"], "whitelist": "ALWAYS"})

    answer(send(ocpi, "PUT", body), 201, 1000)

    data = served(ocpi)
    assert (data["x_note"], data["cdr_token"]["whitelist"]) == ("kept", "ALWAYS")


# -- transport ------------------------------------------------------------------------------------------


def test_request_and_correlation_ids_are_echoed(ocpi: TestClient) -> None:
    response = ocpi.get(URL, headers={"X-Request-ID": "req-1", "X-Correlation-ID": "corr-1"})

    assert (response.headers["X-Request-ID"], response.headers["X-Correlation-ID"]) == ("req-1", "corr-1")


def test_a_post_or_delete_on_a_session_is_405_in_the_envelope(ocpi: TestClient) -> None:
    for method in ("POST", "DELETE"):
        response = ocpi.request(method, URL)
        answer(response, 405, 2000)
        assert response.headers["Allow"] == "GET, PATCH, PUT"


def test_an_unsupported_version_is_404_with_3002(ocpi: TestClient) -> None:
    answer(ocpi.get("/ocpi/2.1.1/details"), 404, 3002)


def test_version_details_list_the_sessions_sender_and_receiver(ocpi: TestClient) -> None:
    data = answer(ocpi.get("/ocpi/2.3.0/details"), 200, 1000)["data"]

    assert data["version"] == "2.3.0"
    assert [(e["identifier"], e["role"], e["url"]) for e in data["endpoints"]] == [
        ("sessions", "SENDER", "http://testserver/ocpi/cpo/2.3.0/sessions/"),
        ("sessions", "RECEIVER", "http://testserver/ocpi/emsp/2.3.0/sessions/"),
    ]
    versions = answer(ocpi.get("/ocpi/versions/"), 200, 1000)["data"]
    assert versions == [
        {"version": "2.2.1", "url": "http://testserver/ocpi/2.2.1/details"},
        {"version": "2.3.0", "url": "http://testserver/ocpi/2.3.0/details"},
    ]


def test_the_bearer_tokens_do_not_open_ocpi_endpoints(fake: FakeContainer) -> None:
    with TestClient(create_app(cast(Container, fake)), headers={"Authorization": "Bearer w"}) as client:
        answer(client.get(URL), 401, 2000)


@pytest.mark.parametrize("offset", [str(2**63), "72671890562756416372736", "-1", "²", "1e3"])
def test_a_sender_offset_outside_bigint_or_not_ascii_digits_is_2001_before_any_read(
    ocpi: TestClient, offset: str
) -> None:
    # The pool is a tripwire: the page query (a bigint OFFSET) must never see the value.
    body = answer(ocpi.get("/ocpi/cpo/2.2.1/sessions", params={"offset": offset}), 200, 2001)

    assert body["status_message"] == f"Invalid field offset: must be an integer from 0 to {2**63 - 1}"
