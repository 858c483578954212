"""``/audit/*`` over HTTP: an aggregate's history, its state as of an instant or version, the sealed log."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from domain.eventsessions.seats import RegistrationState
from tests.conftest import AUDIT_TOKEN
from tests.support.waiting import wait_for

START = datetime(2032, 5, 4, 9, tzinfo=timezone.utc)


@pytest.fixture
def auditor(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {AUDIT_TOKEN}"}, timeout=20) as client:
        yield client


def instant(value: datetime) -> str:
    return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def pause() -> datetime:
    """An instant strictly between what was recorded before and what is recorded after."""
    time.sleep(0.01)
    at = datetime.now(timezone.utc)
    time.sleep(0.01)
    return at


@pytest.fixture
def registration(container):
    app = container.app
    event = app.create_event(name="Audit trail", use_sessions=True, seats_limited=True, seats_max=10)
    session = app.add_session(event.id, date_begin=START, date_end=START + timedelta(hours=2))
    before = pause()
    registered = app.register(event_id=event.id, session_id=session.id, name="Ada", email="ada@example.org",
                              state="draft")  # fmt: skip
    drafted = pause()
    app.change_registration_state(registered.id, RegistrationState.OPEN)
    opened = pause()
    app.change_registration_state(registered.id, RegistrationState.CANCEL)
    return {"id": registered.id, "session": session.id, "before": before, "drafted": drafted, "opened": opened}


def test_the_history_of_a_registration_lists_its_events_with_dotted_types_positions_and_data(auditor, registration):
    body = auditor.get(f"/audit/aggregates/{registration['id']}/events").json()

    assert body["aggregate_id"] == str(registration["id"])
    assert (body["aggregate_type"], body["context"], body["next"]) == ("Registration", "eventsessions", None)
    assert [e["type"] for e in body["events"]] == [
        "eventsessions.Registration.Registered", "eventsessions.Registration.StateChanged",
        "eventsessions.Registration.StateChanged",
    ]  # fmt: skip
    assert [e["version"] for e in body["events"]] == [1, 2, 3]
    positions = [e["position"] for e in body["events"]]
    assert positions == sorted(positions) and positions[0] > 0
    assert body["events"][0]["data"]["email"] == "ada@example.org"
    assert body["events"][2]["data"]["to_state"] == "cancel"
    assert body["events"][0]["occurred_at"].endswith("Z")


def test_the_history_is_paginated_with_a_next_url(auditor, registration):
    first = auditor.get(f"/audit/aggregates/{registration['id']}/events", params={"limit": 2}).json()
    second = auditor.get(first["next"]).json()

    assert [e["version"] for e in first["events"]] == [1, 2]
    assert [e["version"] for e in second["events"]] == [3]
    assert second["next"] is None


def test_an_unknown_aggregate_has_no_history(auditor):
    response = auditor.get("/audit/aggregates/00000000-0000-4000-8000-000000000000/events")

    assert response.status_code == 404


def test_the_state_as_of_an_instant_is_the_last_version_at_or_before_it_in_the_http_views_fields(auditor, registration):
    url = f"/audit/aggregates/{registration['id']}/state"

    drafted = auditor.get(url, params={"at": instant(registration["drafted"])}).json()
    opened = auditor.get(url, params={"at": instant(registration["opened"])}).json()
    latest = auditor.get(url).json()

    assert (drafted["version"], drafted["state"]["state"]) == (1, "draft")
    assert (opened["version"], opened["state"]["state"]) == (2, "open")
    assert (latest["version"], latest["state"]["state"]) == (3, "cancel")
    assert drafted["aggregate_type"] == "Registration" and drafted["as_of"] == instant(registration["drafted"])
    assert set(drafted["state"]) == {
        "id", "version", "event_id", "session_id", "name", "email", "phone", "state", "event_begin_date",
        "event_end_date", "create_date", "date_closed",
    }  # fmt: skip
    assert drafted["state"]["event_begin_date"] == "2032-05-04T09:00:00Z"


def test_the_state_at_a_version_is_rebuilt_by_versioned_retrieval(auditor, registration):
    body = auditor.get(f"/audit/aggregates/{registration['id']}/state", params={"version": 2}).json()

    assert (body["version"], body["state"]["state"], body["state"]["version"]) == (2, "open", 2)


def test_an_instant_before_the_aggregate_existed_is_not_yet(auditor, registration):
    response = auditor.get(f"/audit/aggregates/{registration['id']}/state",
                           params={"at": instant(registration["before"])})  # fmt: skip

    assert response.status_code == 404
    assert response.json()["code"] == "audit.not_yet"


def test_a_session_with_snapshots_shows_events_only_and_any_version(auditor, container):
    app = container.app
    event = app.create_event(name="Snapshotted", use_sessions=True, seats_limited=False)
    session = app.add_session(event.id, date_begin=START, date_end=START + timedelta(hours=1))
    for i in range(110):  # one SeatsChanged each: the session passes its snapshot interval (100)
        app.register(event_id=event.id, session_id=session.id, name=f"s{i}", email=f"s{i}@example.org", state="open")
    with container.pool.connection() as conn:
        snapshots = conn.execute(
            f"SELECT count(*) FROM {app.recorder.events_table_name.replace('_events', '_snapshots')}"
            " WHERE originator_id = %s", (session.id,),
        ).fetchone()[0]  # fmt: skip
    assert snapshots >= 1

    history = auditor.get(f"/audit/aggregates/{session.id}/events", params={"limit": 1000}).json()
    at_50 = auditor.get(f"/audit/aggregates/{session.id}/state", params={"version": 50}).json()
    at_105 = auditor.get(f"/audit/aggregates/{session.id}/state", params={"version": 105}).json()

    assert len(history["events"]) == 111 and not any("Snapshot" in e["type"] for e in history["events"])
    assert at_50["state"]["seats_reserved"] == 49 and at_105["state"]["seats_reserved"] == 104
    assert at_105["state"]["name"] == "Snapshotted" and at_105["aggregate_type"] == "Session"


def test_the_sealed_log_lists_each_event_with_its_hash_and_the_head(auditor, registration):
    last = wait_for(lambda: (b := auditor.get(f"/audit/aggregates/{registration['id']}/events").json())
                    and b["events"][-1]["position"])  # fmt: skip
    wait_for(lambda: auditor.get("/audit/log", params={"from_position": last, "limit": 1}).json()["events"])

    body = auditor.get("/audit/log", params={"from_position": last, "limit": 1}).json()

    entry = body["events"][0]
    assert (entry["position"], entry["aggregate_id"], entry["version"]) == (last, str(registration["id"]), 3)
    assert entry["type"] == "eventsessions.Registration.StateChanged" and len(entry["hash"]) == 64
    assert body["head"]["position"] >= last and len(body["head"]["hash"]) == 64


def test_only_audit_tokens_read_the_audit(http, reader, auditor):
    assert http.get("/audit/log").status_code == 403
    assert reader.get("/audit/log").status_code == 403
    assert auditor.get("/audit/log").status_code == 200
    assert auditor.get("/timeslots").status_code == 403
