"""The HTTP contract that needs no database: problem documents, auth, instants, located strings, views.

The app is built over a fake container whose application and pool are tripwires: these paths must not
touch them.  Read-model access is replaced, where a test needs a row, by patching ``context.read``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from typing import Any, cast
from uuid import uuid4

import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel, ValidationError

from domain.eventsessions.errors import NoMoreSeatsError, SessionNotFoundError
from domain.shared.application import Outcome
from domain.shared.errors import ConcurrencyError
from infra.api import context
from infra.api.app import create_app
from infra.api.eventsessions.events import event_view
from infra.api.eventsessions.sessions import SessionOut, display_name
from infra.api.instants import Instant, format_located, iso_z
from infra.container import Container
from tests.support.fakes import NOW, FakeApp, FakeContainer

WRITE = {"Authorization": "Bearer w-token"}
READ = {"Authorization": "Bearer r-token"}
PROBLEM_KEYS = {"type", "title", "status", "detail", "code"}


def client_for(fake: FakeContainer, **kwargs: Any) -> TestClient:
    return TestClient(create_app(cast(Container, fake), **kwargs), raise_server_exceptions=False)


@pytest.fixture
def fake() -> FakeContainer:
    return FakeContainer()


@pytest.fixture
def client(fake: FakeContainer) -> TestClient:
    return client_for(fake)


@pytest.fixture
def read_model(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[Any], None]]:
    """Makes every read-model query answer the given value, without a database."""

    def serve(value: Any) -> None:
        monkeypatch.setattr(context, "read", lambda _container, _query: value)

    yield serve


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body.keys() >= PROBLEM_KEYS
    assert body["status"] == status
    return body


# -- authentication and roles -------------------------------------------------------------------


def test_a_command_without_a_token_is_unauthorized(client: TestClient) -> None:
    response = client.post("/events", json={"name": "Concert"})
    assert_problem(response, 401)
    assert response.headers["www-authenticate"] == "Bearer"


def test_an_unknown_token_is_unauthorized(client: TestClient) -> None:
    assert_problem(client.get(f"/events/{uuid4()}", headers={"Authorization": "Bearer nope"}), 401)


def test_a_token_in_another_scheme_is_unauthorized(client: TestClient) -> None:
    assert_problem(client.get(f"/events/{uuid4()}", headers={"Authorization": "Token w-token"}), 401)


def test_a_read_token_may_not_create_an_event(client: TestClient) -> None:
    body = assert_problem(client.post("/events", json={"name": "Concert"}, headers=READ), 403)
    assert body["code"] == "auth.forbidden"


def test_a_read_token_is_refused_before_the_body_is_looked_at(client: TestClient) -> None:
    assert_problem(client.patch(f"/sessions/{uuid4()}", content=b"{not json", headers=READ), 403)


@pytest.mark.parametrize("path", ["/livez", "/metrics", "/openapi.json", "/docs"])
def test_health_metrics_and_docs_need_no_token(client: TestClient, path: str) -> None:
    assert client.get(path).status_code == 200


def test_liveness_answers_ok(client: TestClient) -> None:
    assert client.get("/livez").json() == {"status": "ok"}


# -- validation and other problems --------------------------------------------------------------


def test_a_malformed_date_is_a_422_naming_the_field(client: TestClient) -> None:
    body = assert_problem(client.post("/events", json={"name": "Concert", "date_begin": "soon"}, headers=WRITE), 422)
    assert body["field"] == "date_begin"
    assert body["detail"].startswith("date_begin: Input should be a valid datetime")


def test_an_unknown_field_is_a_422_naming_it(client: TestClient) -> None:
    body = assert_problem(client.post("/events", json={"name": "Concert", "colour": "red"}, headers=WRITE), 422)
    assert body["field"] == "colour"


def test_a_missing_field_is_a_422_naming_it(client: TestClient) -> None:
    body = assert_problem(client.post(f"/events/{uuid4()}/sessions", json={"date_begin": "2025-10-06 09:00:00"},
                                      headers=WRITE), 422)  # fmt: skip
    assert body["field"] == "date_end"


def test_an_explicit_null_in_a_patch_is_a_422(client: TestClient) -> None:
    body = assert_problem(client.patch(f"/events/{uuid4()}", json={"name": None}, headers=WRITE), 422)
    assert body["field"] == "name"


def test_invalid_json_is_a_422_on_the_body(client: TestClient) -> None:
    response = client.post("/registrations", content=b"{", headers={**WRITE, "Content-Type": "application/json"})
    assert assert_problem(response, 422)["field"] == "body"


def test_an_unknown_viewer_time_zone_is_a_422(client: TestClient) -> None:
    body = assert_problem(client.get(f"/sessions/{uuid4()}?tz=Mars/Olympus", headers=READ), 422)
    assert body["field"] == "tz"


def test_an_unknown_route_is_a_404_problem(client: TestClient) -> None:
    assert assert_problem(client.get("/nowhere", headers=READ), 404)["code"] == "http.not_found"


# -- commands -----------------------------------------------------------------------------------


def test_a_new_event_answers_201_with_id_and_version(fake: FakeContainer) -> None:
    event_id = uuid4()
    fake.app = FakeApp(Outcome(event_id, 1, created=True))
    body = {"name": "Concert", "date_begin": "2025-10-06 09:00:00", "date_end": "2025-10-06T12:00:00+02:00"}
    response = client_for(fake).post("/events", json=body, headers=WRITE)
    assert response.status_code == 201
    assert response.json() == {"id": str(event_id), "version": 1}
    _, _, kwargs = fake.app.calls[0]
    assert kwargs["date_begin"] == datetime(2025, 10, 6, 9, 0, tzinfo=timezone.utc)
    assert kwargs["date_end"] == datetime(2025, 10, 6, 10, 0, tzinfo=timezone.utc)


def test_a_repeated_create_answers_200(fake: FakeContainer) -> None:
    fake.app = FakeApp(Outcome(uuid4(), 1, created=False))
    body = {"event_id": str(uuid4()), "name": "Ann", "email": "ann@example.com"}
    assert client_for(fake).post("/registrations", json=body, headers=WRITE).status_code == 200


def test_a_patch_passes_only_the_fields_sent(fake: FakeContainer) -> None:
    fake.app = FakeApp(Outcome(uuid4(), 3))
    response = client_for(fake).patch(f"/sessions/{uuid4()}", json={"active": False, "session_update": "all"},
                                      headers=WRITE)  # fmt: skip
    assert response.status_code == 200
    command, args, _ = fake.app.calls[0]
    assert (command, args[1], args[2]) == ("update_session", {"active": False}, "all")


def test_a_full_session_is_a_409_with_the_specs_message(fake: FakeContainer) -> None:
    fake.app = FakeApp(NoMoreSeatsError())
    body = assert_problem(client_for(fake).post(f"/registrations/{uuid4()}/confirm", headers=WRITE), 409)
    assert body["detail"] == "No more seats available for this session."
    assert body["code"] == "eventsessions.seats.no_more"


def test_an_unknown_session_is_a_404(fake: FakeContainer) -> None:
    fake.app = FakeApp(SessionNotFoundError("Session x not found."))
    assert_problem(client_for(fake).post(f"/sessions/{uuid4()}/done", headers=WRITE), 404)


def test_exhausted_retries_are_a_503_with_retry_after(fake: FakeContainer) -> None:
    fake.app = FakeApp(ConcurrencyError("busy"))
    response = client_for(fake).delete(f"/sessions/{uuid4()}", headers=WRITE)
    assert_problem(response, 503)
    assert response.headers["retry-after"] == "1"


def test_deleting_a_session_answers_204_without_a_body(fake: FakeContainer) -> None:
    fake.app = FakeApp(Outcome(uuid4(), 2))
    response = client_for(fake).delete(f"/sessions/{uuid4()}", headers=WRITE)
    assert (response.status_code, response.content) == (204, b"")


# -- reads --------------------------------------------------------------------------------------


def session_row(**overrides: Any) -> dict[str, Any]:
    row = {
        "id": uuid4(), "event_id": uuid4(), "version": 4,
        "date_begin": datetime(2017, 5, 26, 20, 0, tzinfo=timezone.utc),
        "date_end": datetime(2017, 5, 26, 21, 0, tzinfo=timezone.utc),
        "active": True, "deleted": False, "stage_id": 1, "kanban_state": "blocked", "seats_limited": True,
        "seats_max": 2, "seats_unconfirmed": 1, "seats_reserved": 1, "seats_used": 1,
        "created_at": datetime(2017, 5, 1, tzinfo=timezone.utc),
        "event": {"name": "Test event", "date_tz": "Europe/Brussels"},
    }  # fmt: skip
    return {**row, **overrides}


def test_a_session_has_exactly_the_documented_fields(client: TestClient, read_model: Callable[[Any], None]) -> None:
    read_model(session_row())
    body = client.get(f"/sessions/{uuid4()}?tz=Europe/Brussels", headers=READ).json()
    assert body.keys() == SessionOut.model_fields.keys()
    assert body["display_name"] == "Test event, May 26, 2017, 10:00:00 PM"
    assert body["date_begin"] == "2017-05-26T20:00:00Z"
    assert body["date_end_located"] == "May 26, 2017, 11:00:00 PM"
    assert body["stage_id"] == [1, "New"]
    assert body["kanban_state_label"] == "Blocked"
    assert (body["seats_available"], body["seats_expected"], body["event_registrations_sold_out"]) == (0, 3, True)
    assert (body["is_finished"], body["is_ongoing"], body["is_one_day"]) == (True, False, True)


def test_a_viewer_in_another_zone_sees_the_events_zone(client: TestClient, read_model: Callable[[Any], None]) -> None:
    read_model(session_row())
    body = client.get(f"/sessions/{uuid4()}", headers=READ).json()
    assert body["display_name"] == "Test event, May 26, 2017, 10:00:00 PM (Europe/Brussels)"


def test_a_missing_session_is_a_404(client: TestClient, read_model: Callable[[Any], None]) -> None:
    read_model(None)
    assert_problem(client.get(f"/sessions/{uuid4()}", headers=READ), 404)


class WrittenAt:
    """A write side where every aggregate is at ``version``."""

    def __init__(self, version: int) -> None:
        self.version = version

    def __getattr__(self, _name: str) -> Any:
        return lambda *_args, **_kwargs: self


def test_a_read_model_that_stays_behind_min_version_is_a_503(read_model: Callable[[Any], None]) -> None:
    read_model(session_row(version=2))
    client = client_for(FakeContainer(app=WrittenAt(3)))
    response = client.get(f"/sessions/{uuid4()}?min_version=3&wait_ms=30", headers=READ)
    assert_problem(response, 503)
    assert response.headers["retry-after"] == "1"


def test_a_read_model_at_min_version_answers(client: TestClient, read_model: Callable[[Any], None]) -> None:
    read_model(session_row(version=3))
    assert client.get(f"/sessions/{uuid4()}?min_version=3", headers=READ).json()["version"] == 3


def test_session_lists_filter_on_time_status_as_of_now(client: TestClient, read_model: Callable[[Any], None]) -> None:
    ongoing = session_row(date_begin=NOW, date_end=datetime(2025, 10, 6, 13, 0, tzinfo=timezone.utc))
    finished = session_row()
    read_model(({"name": "Test event", "date_tz": "UTC"}, [finished, ongoing]))
    response = client.get(f"/events/{uuid4()}/sessions?is_ongoing=true", headers=READ)
    assert [s["id"] for s in response.json()] == [str(ongoing["id"])]


def test_event_seat_figures_follow_the_session_formulas() -> None:
    row = {
        "id": uuid4(), "version": 1, "name": "Concert", "date_tz": "UTC", "use_sessions": True,
        "session_count": 2, "date_begin": NOW, "date_end": NOW, "seats_limited": True, "seats_max": 5,
        "seats_unconfirmed": 1, "seats_reserved": 2, "seats_used": 1, "auto_confirm": False,
        "event_type_id": None, "stage_id": 4,
    }  # fmt: skip
    view = event_view(row)
    assert (view.seats_expected, view.seats_available, view.stage_id) == (4, 2, (4, "Ended"))
    assert event_view({**row, "seats_max": 0}).seats_available == 0


# -- instants and located strings ---------------------------------------------------------------


class Stamp(BaseModel):
    at: Instant


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-10-06 09:00:00", datetime(2025, 10, 6, 9, 0, tzinfo=timezone.utc)),  # Odoo's naive UTC
        ("2025-10-06T09:00:00Z", datetime(2025, 10, 6, 9, 0, tzinfo=timezone.utc)),
        ("2025-10-06T11:00:00+02:00", datetime(2025, 10, 6, 9, 0, tzinfo=timezone.utc)),
        ("2025-10-06T04:30:00.987-04:30", datetime(2025, 10, 6, 9, 0, tzinfo=timezone.utc)),
    ],
)
def test_instants_are_read_as_utc_whole_seconds(text: str, expected: datetime) -> None:
    at = Stamp(at=text).at  # type: ignore[arg-type]
    assert at == expected
    assert at.utcoffset() is not None and at.utcoffset().total_seconds() == 0  # type: ignore[union-attr]


@pytest.mark.parametrize("value", ["2025-10-06", "yesterday", 1759741200, "2025-13-01 00:00:00"])
def test_values_without_a_date_and_time_are_refused(value: Any) -> None:
    with pytest.raises(ValidationError, match="Input should be a valid datetime"):
        Stamp(at=value)


def test_instants_are_written_in_utc_with_z_and_whole_seconds() -> None:
    assert iso_z(datetime.fromisoformat("2025-10-06T11:00:00.5+02:00")) == "2025-10-06T09:00:00Z"
    assert iso_z(datetime(2025, 10, 6, 9, 0)) == "2025-10-06T09:00:00Z"  # naive means UTC


@pytest.mark.parametrize(
    ("tz", "expected"),
    [
        ("Europe/Brussels", "May 26, 2017, 10:00:00 PM"),
        ("UTC", "May 26, 2017, 8:00:00 PM"),
        ("US/Pacific", "May 26, 2017, 1:00:00 PM"),
        ("Asia/Tokyo", "May 27, 2017, 5:00:00 AM"),
        ("Etc/GMT+8", "May 26, 2017, 12:00:00 PM"),
        ("Etc/GMT-4", "May 27, 2017, 12:00:00 AM"),
    ],
)
def test_located_strings_use_the_medium_english_pattern(tz: str, expected: str) -> None:
    assert format_located(datetime(2017, 5, 26, 20, 0, tzinfo=timezone.utc), tz) == expected


def test_display_name_appends_the_event_zone_only_for_another_viewer_zone() -> None:
    located = "May 26, 2017, 8:00:00 PM"
    assert display_name("Test event", located, "UTC", "UTC") == f"Test event, {located}"
    assert display_name("Test event", located, "UTC", "Europe/Brussels") == f"Test event, {located} (UTC)"


def test_the_openapi_document_lists_the_problem_responses(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    create = spec["paths"]["/events"]["post"]["responses"]
    assert {"201", "401", "403", "409", "422"} <= create.keys()
    assert "application/problem+json" in create["422"]["content"]
