"""The HTTP door without a database: bad values are refused before any command runs (the application
and the pool are tripwires), a body over the limit is a 413, an unreachable database a 503."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from uuid import uuid4

import psycopg
import pytest
from eventsourcing import persistence
from fastapi.testclient import TestClient
from psycopg_pool import PoolTimeout

from domain.shared.limits import INT8_MAX
from infra.settings import Settings
from tests.unit.test_api_contract import WRITE, FakeContainer, assert_problem, client_for

EVENT = {"name": "Door", "date_begin": "2030-01-01T09:00:00Z", "date_end": "2030-01-01T17:00:00Z"}


def raw_json(body: dict[str, Any]) -> dict[str, Any]:
    """A body as Python's json writes it: lone surrogates escaped, ``Infinity`` bare (httpx refuses both)."""
    content = json.dumps(body).replace('"Infinity"', "Infinity")
    return {"content": content, "headers": {**WRITE, "Content-Type": "application/json"}}


def refused(response: Any, field: str) -> dict[str, Any]:
    problem = assert_problem(response, 422)
    assert problem["field"] == field, problem
    assert problem["code"] == "validation.invalid"
    assert field in problem["detail"]
    return problem


@pytest.fixture
def client() -> TestClient:
    return client_for(FakeContainer())


@pytest.mark.parametrize("name", ["a\x00b", "a\ud800b", "x" * 257, ""])
def test_an_event_name_no_store_can_hold_is_422_naming_it(client, name):
    refused(client.post("/events", **raw_json({**EVENT, "name": name})), "name")


def test_a_registration_name_with_a_nul_is_422_before_any_command(client):
    body = {"event_id": str(uuid4()), "name": "a\x00b", "email": "a@example.org"}
    refused(client.post("/registrations", json=body, headers=WRITE), "name")


@pytest.mark.parametrize("email", ["not-an-email", "a@b", "a\x00@example.org", "a@" + "b" * 260 + ".org"])
def test_a_registration_email_is_checked_as_the_inbound_one_is(client, email):
    body = {"event_id": str(uuid4()), "name": "Ada", "email": email}
    refused(client.post("/registrations", json=body, headers=WRITE), "email")


def test_a_phone_over_its_limit_is_422(client):
    body = {"event_id": str(uuid4()), "name": "Ada", "email": "ada@example.org", "phone": "1" * 65}
    refused(client.post("/registrations", json=body, headers=WRITE), "phone")


@pytest.mark.parametrize("seats_max", [3_000_000_000, 2**31, -(2**31) - 1, 10**30])
def test_seats_beyond_a_postgresql_integer_are_422(client, seats_max):
    refused(client.post("/events", json={**EVENT, "seats_max": seats_max}, headers=WRITE), "seats_max")


def test_an_event_on_the_first_day_of_the_calendar_is_422(client):
    body = {**EVENT, "date_tz": "America/New_York", "date_begin": "0001-01-01T00:00:00Z"}
    refused(client.post("/events", json=body, headers=WRITE), "date_begin")


def test_a_session_on_the_last_day_of_the_calendar_is_422(client):
    body = {"date_begin": "9999-12-31T00:00:00Z", "date_end": "9999-12-31T23:00:00Z"}
    refused(client.post(f"/events/{uuid4()}/sessions", json=body, headers=WRITE), "date_begin")


def test_a_mail_interval_beyond_a_postgresql_integer_is_422(client):
    body = {"interval_nbr": 2**31, "interval_unit": "weeks", "interval_type": "after_event", "template": "t"}
    refused(client.post(f"/events/{uuid4()}/mail-schedulers", json=body, headers=WRITE), "interval_nbr")


def test_a_template_with_a_nul_is_422(client):
    body = {"interval_nbr": 1, "interval_unit": "days", "interval_type": "after_event", "template": "a\x00"}
    refused(client.patch(f"/mail-schedulers/{uuid4()}", json=body, headers=WRITE), "template")


@pytest.mark.parametrize(
    ("field", "value"), [("until", "9999-12-31"), ("start", "0001-01-01"), ("duration", "Infinity")]
)
def test_wizard_values_past_the_calendar_or_infinite_are_422(client, field, value):
    body = {"weekdays": ["mon"], "until": "2030-01-31", "timeslots": ["10:00"], "duration": 1, field: value}
    refused(client.post(f"/events/{uuid4()}/sessions/generate", **raw_json(body)), field)


@pytest.mark.parametrize("offset", [str(INT8_MAX + 1), str(10**19), "-1", "1e19"])
def test_an_offset_beyond_bigint_is_422(client, offset):
    refused(client.get("/registrations", params={"offset": offset}, headers=WRITE), "offset")


@pytest.mark.parametrize("params", [{"min_version": str(2**31)}, {"wait_ms": str(10**20)}])
def test_min_version_and_wait_beyond_an_integer_are_422(client, params):
    refused(client.get(f"/events/{uuid4()}", params=params, headers=WRITE), next(iter(params)))


def test_a_viewer_time_zone_with_a_nul_or_too_long_is_422(client):
    refused(client.get(f"/sessions/{uuid4()}", params={"tz": "Europe/\x00"}, headers=WRITE), "tz")
    refused(client.get(f"/sessions/{uuid4()}", params={"tz": "x" * 65}, headers=WRITE), "tz")


def test_a_body_declared_over_the_limit_is_413_before_it_is_read(client):
    response = client.post(
        "/events", content=b"{" + b" " * 70_000 + b"}", headers={**WRITE, "Content-Type": "application/json"}
    )
    problem = assert_problem(response, 413)
    assert problem["code"] == "request.too_large"
    assert "65536 bytes" in problem["detail"]


def test_a_streamed_body_over_the_limit_is_413(client):
    def chunks():
        for _ in range(20):
            yield b" " * 5000

    response = client.post("/events", content=chunks(), headers={**WRITE, "Content-Type": "application/json"})
    assert assert_problem(response, 413)["code"] == "request.too_large"


def test_a_caller_without_a_token_gets_401_not_413(client):
    assert_problem(client.post("/events", content=b" " * 70_000), 401)


class Unreachable:
    """An application (or pool) whose database does not answer."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    def __getattr__(self, _name: str) -> Any:
        def fail(*_args: Any, **_kwargs: Any) -> Any:
            raise self.error

        return fail


@pytest.mark.parametrize(
    "error", [PoolTimeout("no connection"), persistence.OperationalError("gone"), psycopg.InterfaceError("closed")]
)
def test_a_command_while_the_database_is_unreachable_is_503_with_retry_after(error):
    client = client_for(FakeContainer(app=Unreachable(error)))
    response = client.post("/events", json=EVENT, headers=WRITE)
    problem = assert_problem(response, 503)
    assert problem["code"] == "database.unavailable"
    assert int(response.headers["Retry-After"]) >= 1


def test_a_read_while_the_database_is_unreachable_is_503_with_retry_after():
    client = client_for(FakeContainer(pool=Unreachable(PoolTimeout("couldn't get a connection after 0.50 sec"))))
    response = client.get("/registrations", headers=WRITE)
    assert assert_problem(response, 503)["code"] == "database.unavailable"
    assert "Retry-After" in response.headers


def test_an_unexpected_error_is_a_500_problem_and_is_not_raised_again():
    """Starlette's last resort re-raises after answering, and the server then drops the connection."""
    fake = FakeContainer(app=Unreachable(RuntimeError("a bug")))
    client = TestClient(client_for(fake).app, raise_server_exceptions=True)
    response = client.post("/events", json=EVENT, headers=WRITE)
    assert assert_problem(response, 500)["code"] == "internal.error"


def test_a_body_that_is_not_utf8_is_422_naming_the_body(client):
    response = client.post("/events", content=b"\xff\xfe\x00{", headers={**WRITE, "Content-Type": "application/json"})
    assert refused(response, "body")["code"] == "validation.invalid"


def test_a_method_a_path_does_not_serve_is_405_allowing_every_method_it_does(client):
    response = client.request("OPTIONS", f"/sessions/{uuid4()}", headers=WRITE)
    assert_problem(response, 405)
    assert set(response.headers["Allow"].split(", ")) >= {"GET", "PATCH", "DELETE"}


@pytest.mark.parametrize("value", [0, 1, "true", "yes"])
def test_a_flag_must_be_a_json_boolean(client, value):
    refused(client.post("/events", json={**EVENT, "use_sessions": value}, headers=WRITE), "use_sessions")


@pytest.mark.parametrize("value", [False, "3", 3.5])
def test_an_integer_must_be_a_json_integer(client, value):
    refused(client.post("/events", json={**EVENT, "seats_max": value}, headers=WRITE), "seats_max")


def test_the_openapi_document_lists_every_problem_an_operation_can_answer(client):
    document = client.get("/openapi.json").json()
    register = document["paths"]["/registrations"]["post"]["responses"]
    assert {"200", "201", "401", "403", "404", "409", "413", "422", "503"} <= set(register)
    listing = document["paths"]["/registrations"]["get"]["responses"]
    assert {"401", "413", "422", "503"} <= set(listing)
    links = document["paths"]["/events"]["post"]["responses"]["201"]["links"]
    assert links["get_event_events__event_id__get"]["parameters"] == {"event_id": "$response.body#/id"}


def _integers(schema: dict[str, Any]) -> Iterator[dict[str, Any]]:
    if schema.get("type") == "integer":
        yield schema
    for key in ("anyOf", "oneOf", "allOf"):
        for part in schema.get(key, []):
            yield from _integers(part)


def test_every_integer_in_a_path_or_query_is_bounded_so_none_reaches_postgresql_out_of_range(client):
    # A fuzzer once sent offset=72671890562756416372736 to GET /charging/sessions: PostgreSQL refused the
    # bigint and the caller got a 500. Every integer parameter now declares both of its bounds.
    spec = client.get("/openapi.json").json()
    unbounded = [
        f"{method.upper()} {path} {parameter['name']}"
        for path, operations in spec["paths"].items()
        for method, operation in operations.items()
        for parameter in operation.get("parameters", [])
        for schema in _integers(parameter.get("schema", {}))
        if "maximum" not in schema or "minimum" not in schema
    ]
    assert unbounded == []


@pytest.mark.parametrize(
    ("path", "name", "token"),
    [
        ("/charging/sessions", "offset", "w-token"),
        (f"/audit/aggregates/{uuid4()}/events", "from_version", "a-token"),
        (f"/audit/aggregates/{uuid4()}/state", "version", "a-token"),
        ("/audit/log", "from_position", "a-token"),
    ],
)
def test_a_page_or_version_beyond_bigint_is_422_naming_it(path, name, token):
    settings = Settings(SESSIONSTREAM_API_TOKENS="w-token:write,a-token:audit")
    client = client_for(FakeContainer(settings=settings))
    response = client.get(path, params={name: "72671890562756416372736"}, headers={"Authorization": f"Bearer {token}"})
    refused(response, name)


@pytest.mark.parametrize(
    "url",
    [
        "/charging/sessions?country_code=%00",
        "/charging/sessions?party_id=a%00",
        "/charging/sessions?location_id=%00x",
        "/charging/locations/%00/energy",
    ],
)
def test_text_with_a_nul_in_a_query_or_a_path_is_422_before_any_read(client, url):
    # The pool is a tripwire: PostgreSQL refuses NUL in text, which was a 500.
    problem = assert_problem(client.get(url, headers=WRITE), 422)
    assert "cannot be stored" in problem["detail"]
