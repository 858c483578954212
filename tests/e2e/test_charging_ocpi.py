"""The OCPI sessions module over HTTP against the running service: round trips of the spec's examples,
the receiver's read-your-push GET, party isolation, the sender list (R-14, D13, D14, pagination) and
charging preferences, and the dashboard reads."""

from __future__ import annotations

import copy
import re
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.e2e.charging_support import (
    decoded,
    dumps,
    get,
    ocpi_client,
    patch,
    put,
    session,
    unique_id,
)
from tests.support.waiting import wait_for
from tests.unit.charging.examples import (
    LIBRARY_FIXTURE_2_2_1,
    LIBRARY_FIXTURE_2_2_1_RENDERED,
    ROUND_TRIP_SESSIONS,
    load,
)

pytestmark = pytest.mark.e2e


def envelope(response: httpx.Response, http: int, ocpi: int) -> dict[str, Any]:
    body = decoded(response)
    assert (response.status_code, body["status_code"]) == (http, ocpi), body
    return body


def with_fresh_id(text: str) -> dict[str, Any]:
    body = load(text)
    body["id"] = unique_id("ex")
    return body


# -- round trips (D1, D19, D20, D24) ---------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(ROUND_TRIP_SESSIONS))
def test_D1_every_spec_example_round_trips_through_put_and_get_over_http(base_url: str, name: str) -> None:
    version, text = ROUND_TRIP_SESSIONS[name]
    body = with_fresh_id(text)

    with ocpi_client(base_url, (body["country_code"], body["party_id"])) as client:
        envelope(put(client, body, version), 201, 1000)
        served = envelope(get(client, body, version), 200, 1000)["data"]

    assert served == body


@pytest.mark.parametrize("version", ["2.2.1", "2.3.0"])
def test_D19_the_library_fixture_comes_back_normalised_in_both_versions(base_url: str, version: str) -> None:
    body = with_fresh_id(LIBRARY_FIXTURE_2_2_1)
    expected = load(LIBRARY_FIXTURE_2_2_1_RENDERED) | {"id": body["id"]}
    if version == "2.3.0":
        expected["total_cost"] = {
            "before_taxes": Decimal("10.0"),
            "taxes": [{"name": "VAT", "amount": Decimal("0.25")}],
        }

    with ocpi_client(base_url, ("US", "AAA")) as client:
        envelope(put(client, body, "2.2.1"), 201, 1000)
        served = envelope(get(client, body, version), 200, 1000)["data"]

    assert served == expected


def test_the_receivers_get_reflects_every_answered_push_at_once(base_url: str) -> None:
    body = session(status="ACTIVE", last_updated="2030-01-01T10:00:00Z")
    with ocpi_client(base_url) as client:
        envelope(put(client, body), 201, 1000)
        for minute in range(1, 16):
            at = f"2030-01-01T10:{minute:02d}:00Z"
            period = {"start_date_time": at, "dimensions": [{"type": "ENERGY", "volume": 0.5}]}
            envelope(
                patch(client, body, {"kwh": minute / 2, "charging_periods": [period], "last_updated": at}), 200, 1000
            )

            served = envelope(get(client, body), 200, 1000)["data"]

            assert (served["last_updated"], len(served["charging_periods"])) == (at, minute)


# -- parties (R-2, CH-18) ---------------------------------------------------------------------------------


def sender_list(client: httpx.Client, version: str = "2.2.1", **params: Any) -> httpx.Response:
    return client.get(f"/ocpi/cpo/{version}/sessions", params=params)


def ids_of(response: httpx.Response) -> list[str]:
    return [s["id"] for s in envelope(response, 200, 1000)["data"]]


def test_R2_party_b_can_neither_push_under_a_nor_see_a_in_the_list_or_its_count(base_url: str) -> None:
    mine = session(
        country_code="IT", party_id="AAA", cdr_token={**session()["cdr_token"], "country_code": "IT", "party_id": "TOK"}
    )
    with ocpi_client(base_url, ("IT", "AAA")) as a, ocpi_client(base_url, ("IT", "BBB")) as b, \
            ocpi_client(base_url, ("IT", "TOK")) as emsp:  # fmt: skip
        envelope(put(a, mine), 201, 1000)
        hijack = copy.deepcopy(mine) | {"kwh": 99, "last_updated": "2020-03-09T11:00:00Z"}

        envelope(put(b, hijack), 404, 2001)
        envelope(patch(b, mine, {"kwh": 99, "last_updated": "2020-03-09T11:00:00Z"}), 404, 2001)
        envelope(get(b, mine), 404, 2001)
        wait_for(lambda: mine["id"] in ids_of(sender_list(a)))

        assert mine["id"] not in ids_of(sender_list(b))
        assert sender_list(b).headers["X-Total-Count"] == "0"
        assert mine["id"] in ids_of(sender_list(emsp))  # the eMSP whose token it is sees it
        assert envelope(get(a, mine), 200, 1000)["data"]["kwh"] == 0


# -- the sender list (R-14, D13, D14) ---------------------------------------------------------------------


def link_of(response: httpx.Response) -> str | None:
    header = response.headers.get("Link")
    if header is None:
        return None
    match = re.fullmatch(r'<([^>]+)>; rel="next"', header)
    assert match, header
    return match.group(1)


def test_pagination_250_sessions_walked_by_link_with_limit_100_yield_each_exactly_once(base_url: str) -> None:
    with ocpi_client(base_url, ("FR", "PAG")) as client:
        pushed = []
        for n in range(250):
            body = session(country_code="FR", party_id="PAG", last_updated=f"2031-01-01T00:{n // 60:02d}:{n % 60:02d}Z")
            envelope(put(client, body), 201, 1000)
            pushed.append(body["id"])
        wait_for(lambda: sender_list(client, limit=1).headers["X-Total-Count"] == "250", timeout=60)

        seen: list[str] = []
        url: str | None = "/ocpi/cpo/2.2.1/sessions?limit=100"
        pages = 0
        while url is not None:
            response = client.get(url)
            seen += ids_of(response)
            assert (response.headers["X-Total-Count"], response.headers["X-Limit"]) == ("250", "100")
            url = link_of(response)
            pages += 1

    assert pages == 3
    assert sorted(seen) == sorted(pushed) and len(seen) == len(set(seen)) == 250


def test_D14_the_next_link_repeats_the_filters_and_caps_the_limit(base_url: str) -> None:
    with ocpi_client(base_url, ("FR", "PAG")) as client:
        wait_for(lambda: sender_list(client, limit=1).headers["X-Total-Count"] == "250", timeout=60)

        first = sender_list(client, date_from="2031-01-01T00:00:00+00:00", date_to="2031-01-01T00:02:00Z", limit=2000)

        link = link_of(first)
        assert link is not None
        parts = urlsplit(link)
        assert parts.path == "/ocpi/cpo/2.2.1/sessions"
        assert parse_qs(parts.query) == {
            "date_from": ["2031-01-01T00:00:00Z"], "date_to": ["2031-01-01T00:02:00Z"],
            "offset": ["100"], "limit": ["100"],
        }  # fmt: skip
        assert "date_from=2031-01-01T00:00:00Z" in parts.query
        assert (first.headers["X-Limit"], first.headers["X-Total-Count"]) == ("100", "120")
        assert len(ids_of(first)) == 100


def test_D13_the_last_page_has_no_link(base_url: str) -> None:
    with ocpi_client(base_url, ("FR", "PAG")) as client:
        wait_for(lambda: sender_list(client, limit=1).headers["X-Total-Count"] == "250", timeout=60)

        last = sender_list(client, offset=200, limit=100)

        assert "Link" not in last.headers and len(ids_of(last)) == 50


def test_R14_date_from_is_inclusive_and_date_to_exclusive_on_last_updated(base_url: str) -> None:
    instants = ["2032-05-01T10:00:00Z", "2032-05-01T11:00:00Z", "2032-05-01T12:00:00Z"]
    with ocpi_client(base_url, ("US", "AAA")) as client:
        bodies = [session(country_code="US", party_id="AAA", last_updated=at) for at in instants]
        for body in bodies:
            envelope(put(client, body), 201, 1000)
        window = {"date_from": instants[0], "date_to": "2032-05-02T00:00:00Z"}
        wait_for(lambda: sender_list(client, **window).headers["X-Total-Count"] == "3")

        from_second = ids_of(sender_list(client, date_from=instants[1], date_to=window["date_to"]))
        to_second = ids_of(sender_list(client, date_from=instants[0], date_to=instants[1]))

    assert from_second == [bodies[1]["id"], bodies[2]["id"]]
    assert to_second == [bodies[0]["id"]]


def test_the_sender_list_serves_each_version(base_url: str) -> None:
    body = session(country_code="US", party_id="AAA", total_cost={"excl_vat": 8.5, "incl_vat": 9.35},
                   last_updated="2033-01-01T00:00:00Z")  # fmt: skip
    with ocpi_client(base_url, ("US", "AAA")) as client:
        envelope(put(client, body), 201, 1000)
        window = {"date_from": "2033-01-01T00:00:00Z"}
        wait_for(lambda: ids_of(sender_list(client, **window)) == [body["id"]])

        (v221,) = envelope(sender_list(client, "2.2.1", **window), 200, 1000)["data"]
        (v230,) = envelope(sender_list(client, "2.3.0", **window), 200, 1000)["data"]

    assert v221 == decoded(httpx.Response(200, content=dumps(body)))
    assert v230["total_cost"] == {"before_taxes": Decimal("8.5"), "taxes": [{"name": "VAT", "amount": Decimal("0.85")}]}


def test_an_invalid_list_parameter_is_2001(base_url: str) -> None:
    with ocpi_client(base_url) as client:
        envelope(sender_list(client, date_from="yesterday"), 200, 2001)
        envelope(sender_list(client, limit="-1"), 200, 2001)


# -- charging preferences (D15, CH-16, CH-25) -------------------------------------------------------------


def test_D15_the_emsp_of_the_token_sets_preferences_and_gets_the_response_string(base_url: str) -> None:
    body = session(country_code="IT", party_id="AAA", status="ACTIVE",
                   cdr_token={**session()["cdr_token"], "country_code": "IT", "party_id": "TOK"})  # fmt: skip
    with ocpi_client(base_url, ("IT", "AAA")) as cpo, ocpi_client(base_url, ("IT", "TOK")) as emsp:
        envelope(put(cpo, body), 201, 1000)
        wait_for(lambda: body["id"] in ids_of(sender_list(emsp)))
        url = f"/ocpi/cpo/2.2.1/sessions/{body['id']}/charging_preferences"

        answer = envelope(emsp.put(url, content=dumps({"profile_type": "CHEAP", "energy_need": 20})), 200, 1000)

    assert answer["data"] == "ACCEPTED"


def test_preferences_for_a_session_the_caller_may_not_see_are_404_with_2001(base_url: str) -> None:
    body = session(country_code="IT", party_id="AAA", status="ACTIVE")
    with ocpi_client(base_url, ("IT", "AAA")) as cpo, ocpi_client(base_url, ("IT", "BBB")) as other:
        envelope(put(cpo, body), 201, 1000)
        url = f"/ocpi/cpo/2.3.0/sessions/{body['id']}/charging_preferences"

        answer = envelope(other.put(url, content=dumps({"profile_type": "FAST"})), 404, 2001)

    assert answer["status_message"] == "Unknown session"


# -- dashboard reads ----------------------------------------------------------------------------------------


def test_dashboard_lists_sessions_newest_first_with_their_filters(base_url: str, http: httpx.Client) -> None:
    location = unique_id("LOC")
    times = ["2034-02-01T08:00:00Z", "2034-02-01T09:00:00Z", "2034-02-01T10:00:00Z"]
    bodies = [session(location_id=location, last_updated=at, status="ACTIVE") for at in times]
    with ocpi_client(base_url) as client:
        for body in bodies:
            envelope(put(client, body), 201, 1000)
        envelope(patch(client, bodies[0], {"status": "COMPLETED", "last_updated": "2034-02-01T11:00:00Z"}), 200, 1000)

    def all_three() -> list[dict[str, Any]] | None:
        response = http.get("/charging/sessions", params={"location_id": location.lower()})
        listed = response.json()
        return listed if response.headers["X-Total-Count"] == "3" and listed[0]["status"] == "COMPLETED" else None

    listed = wait_for(all_three)

    assert [s["id"] for s in listed] == [bodies[0]["id"], bodies[2]["id"], bodies[1]["id"]]
    assert listed[0]["status"] == "COMPLETED" and listed[0]["total_cost"] == {"before_taxes": 2.5}
    completed = http.get("/charging/sessions", params={"location_id": location, "status": "COMPLETED"})
    assert [s["id"] for s in completed.json()] == [bodies[0]["id"]]
    window = http.get("/charging/sessions", params={
        "location_id": location, "updated_from": times[1], "updated_to": times[2],
        "country_code": "nl", "party_id": "STK",
    })  # fmt: skip
    assert [s["id"] for s in window.json()] == [bodies[1]["id"]]
    assert http.get("/charging/sessions", params={"status": "RESERVED"}).status_code == 422


def test_location_energy_per_hour_spreads_each_period_until_the_next(base_url: str, http: httpx.Client) -> None:
    location = unique_id("LOC")

    def energy(at: str, kwh: float) -> dict[str, Any]:
        return {"start_date_time": at, "dimensions": [{"type": "ENERGY", "volume": kwh}]}

    body = session(location_id=location, status="ACTIVE", start_date_time="2035-03-01T10:30:00Z",
                   charging_periods=[energy("2035-03-01T10:30:00Z", 6)],
                   last_updated="2035-03-01T10:30:00Z")  # fmt: skip
    with ocpi_client(base_url) as client:
        envelope(put(client, body), 201, 1000)
        change = {"charging_periods": [energy("2035-03-01T11:30:00Z", 2)], "last_updated": "2035-03-01T11:30:00Z"}
        envelope(patch(client, body, change), 200, 1000)
        final = {"status": "COMPLETED", "end_date_time": "2035-03-01T12:30:00Z", "last_updated": "2035-03-01T12:30:00Z"}
        envelope(patch(client, body, final), 200, 1000)
    params = {"from": "2035-03-01T10:00:00Z", "to": "2035-03-01T13:00:00Z", "bucket": "hour"}

    def served() -> dict[str, Any] | None:
        found = http.get(f"/charging/locations/{location}/energy", params=params).json()
        return found if found["buckets"][2]["kwh"] == 1.0 else None

    found = wait_for(served)

    assert [(b["start"], b["kwh"], b["sessions"]) for b in found["buckets"]] == [
        ("2035-03-01T10:00:00Z", 3.0, 1),
        ("2035-03-01T11:00:00Z", 4.0, 1),
        ("2035-03-01T12:00:00Z", 1.0, 1),
    ]
    assert found["total_kwh"] == 8.0
    day = http.get(f"/charging/locations/{location}/energy", params=params | {"bucket": "day"}).json()
    assert [(b["start"], b["kwh"]) for b in day["buckets"]] == [("2035-03-01T00:00:00Z", 8.0)]
