"""The HTTP API end to end: commands through the event store, queries from the read models."""

from __future__ import annotations

import uuid

import httpx

from tests.support.http import assert_problem
from tests.support.waiting import wait_for


def _event(http: httpx.Client, **overrides) -> dict:
    body = {
        "name": "Test event",
        "date_tz": "Europe/Brussels",
        "use_sessions": True,
        "seats_limited": True,
        "seats_max": 1,
        **overrides,
    }
    answer = http.post("/events", json=body)
    assert answer.status_code == 201, answer.text
    return answer.json()


def _session(http: httpx.Client, event_id: str) -> dict:
    answer = http.post(
        f"/events/{event_id}/sessions", json={"date_begin": "2017-05-26 20:00:00", "date_end": "2017-05-26T22:00:00Z"}
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


def test_a_session_shows_its_seats_dates_and_located_strings_as_odoo_does(http):
    event = _event(http, seats_max=10)
    session = _session(http, event["id"])
    http.post(
        "/registrations",
        json={
            "event_id": event["id"],
            "session_id": session["id"],
            "name": "Ada",
            "email": "ada@example.org",
            "state": "open",
        },
    ).raise_for_status()
    shown = http.get(f"/sessions/{session['id']}", params={"min_version": 2, "tz": "Europe/Brussels"})
    assert shown.status_code == 200, shown.text
    s = shown.json()
    assert s["date_begin"] == "2017-05-26T20:00:00Z"
    assert s["date_begin_located"] == "May 26, 2017, 10:00:00 PM"
    assert s["display_name"] == "Test event, May 26, 2017, 10:00:00 PM"
    assert (s["seats_max"], s["seats_reserved"], s["seats_available"], s["seats_expected"]) == (10, 1, 9, 1)
    assert s["stage_id"] == [1, "New"] and s["kanban_state_label"] == "In Progress"
    # The parent's dates come from the event_dates read model, which trails the event's own version.
    parent = wait_for(lambda: (e := http.get(f"/events/{event['id']}").json())["session_count"] == 1 and e)
    assert parent["date_begin"] == "2017-05-26T20:00:00Z" and parent["date_end"] == "2017-05-26T22:00:00Z"


def test_no_token_is_401_and_a_read_token_on_a_command_is_403(base_url, reader):
    assert_problem(httpx.post(f"{base_url}/events", json={"name": "x"}), 401)
    assert_problem(httpx.get(f"{base_url}/events/{uuid.uuid4()}", headers={"Authorization": "Bearer nope"}), 401)
    assert_problem(reader.post("/events", json={"name": "x", "use_sessions": True}), 403)


def test_an_unknown_resource_is_404(http):
    problem = assert_problem(http.get(f"/sessions/{uuid.uuid4()}"), 404)
    assert problem["code"]
    assert_problem(http.post(f"/registrations/{uuid.uuid4()}/confirm"), 404)


def test_a_full_session_is_409_with_the_spec_message_and_changes_nothing(http, container):
    event = _event(http)
    session = _session(http, event["id"])
    taken = http.post(
        "/registrations",
        json={
            "event_id": event["id"],
            "session_id": session["id"],
            "name": "A",
            "email": "a@example.org",
            "state": "open",
        },
    )
    assert taken.status_code == 201
    before = container.app.get_session(uuid.UUID(session["id"])).version
    problem = assert_problem(
        http.post(
            "/registrations",
            json={"event_id": event["id"], "session_id": session["id"], "name": "B", "email": "b@example.org"},
        ),
        409,
    )
    assert problem["detail"] == "No more seats available for this session."
    assert container.app.get_session(uuid.UUID(session["id"])).version == before
    # The list trails the write side: once it shows A, it must show A alone (B was never recorded).
    names = wait_for(
        lambda: [r["name"] for r in http.get("/registrations", params={"session_id": session["id"]}).json()]
    )
    assert names == ["A"]


def test_malformed_input_is_422_naming_the_field_and_changes_nothing(http, container):
    event = _event(http)
    problem = assert_problem(
        http.post(
            f"/events/{event['id']}/sessions", json={"date_begin": "tomorrow", "date_end": "2017-05-26T22:00:00Z"}
        ),
        422,
    )
    assert "date_begin" in problem["detail"]
    problem = assert_problem(
        http.post(
            f"/events/{event['id']}/sessions",
            json={"date_begin": "2017-05-26T22:00:00Z", "date_end": "2017-05-26T22:00:00Z"},
        ),
        422,
    )
    assert "The closing date cannot be earlier than the beginning date." in problem["detail"]
    problem = assert_problem(
        http.post("/events", json={"name": "Tz", "date_tz": "Mars/Olympus", "use_sessions": True}), 422
    )
    assert "date_tz" in problem["detail"]
    assert container.app.get_event(uuid.UUID(event["id"])).session_ids == []


def test_a_repeated_create_with_the_same_id_is_200_and_a_different_body_is_409(http):
    chosen = str(uuid.uuid4())
    body = {"id": chosen, "name": "Once", "use_sessions": True}
    first = http.post("/events", json=body)
    again = http.post("/events", json=body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == chosen and again.json()["version"] == first.json()["version"]
    assert_problem(http.post("/events", json={**body, "name": "Twice"}), 409)


def test_readiness_liveness_and_metrics_need_no_token(base_url):
    assert httpx.get(f"{base_url}/livez").status_code == 200
    assert httpx.get(f"{base_url}/readyz").status_code == 200
    metrics = httpx.get(f"{base_url}/metrics")
    assert metrics.status_code == 200 and "sessionstream_relay_published_total" in metrics.text
