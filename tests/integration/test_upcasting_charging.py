"""``ChargingSession.PreferencesSet`` v1 -> v2 (``response`` renamed ``answer``, ``judged_at`` added): rows
written with the v1 JSON still load, replay and rebuild as before, under an intact hash chain (CH-16)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any
from uuid import UUID

from domain.charging.application import ChargingSessions
from domain.charging.session import ChargingSession
from domain.charging.validation import validate_charging_preferences, validate_session
from tests.integration import auditing
from tests.integration.auditing import seal_everything, sql, verified
from tests.integration.upcasting import decoded, event_data, rebuilt, replayed, store_as_older, version_of
from tests.support.charging import session_body

PREFERENCES = {"profile_type": "FAST"}

fresh_container = auditing.fresh_container  # the fixture, bound where pytest looks for it


def with_preferences(app: ChargingSessions, session_id: str) -> tuple[UUID, int]:
    """A session with preferences set (ACCEPTED: it is PENDING, no departure); its id and that event's version."""
    app.put_session("NL", "STK", session_id, validate_session(session_body(id=session_id), "2.2.1"))
    outcome = app.set_charging_preferences("NL", "STK", session_id, validate_charging_preferences(PREFERENCES, "2.2.1"))
    return outcome.id, outcome.version


def as_version_1(new: dict[str, Any]) -> dict[str, Any]:
    return {"timestamp": new["timestamp"], "preferences": new["preferences"], "response": new["answer"]}


def test_v1_preferences_load_replay_and_rebuild_as_before(fresh_container):
    container = fresh_container
    app = container.charging
    session, version = with_preferences(app, "101")
    assert version == version_of(container, session, ChargingSession.PreferencesSet)
    messages_before = replayed(container, "charging")
    read_model_before = rebuilt(container, "charging_sessions", "upcast_before")

    assert [row for row in read_model_before["charging_sessions"] if "ACCEPTED" in row]  # the row to compare
    store_as_older(container, session, version, as_version_1)

    loaded = app.repository.get(session, version=version)  # versioned: read from the store, never the cache
    event = decoded(container, session, version)
    assert (loaded.preferences_response, loaded.preferences["profile_type"]) == ("ACCEPTED", "FAST")
    assert isinstance(event, ChargingSession.PreferencesSet) and (event.answer, event.judged_at) == ("ACCEPTED", None)
    assert replayed(container, "charging") == messages_before  # the published v1 message keeps ``response``
    assert rebuilt(container, "charging_sessions", "upcast_after") == read_model_before
    data = event_data(container, session, version)
    assert (data["answer"], data["judged_at"], "response" in data) == ("ACCEPTED", None, False)


def test_new_preferences_are_stored_as_version_2_and_the_chain_still_verifies(fresh_container):
    container = fresh_container
    app = container.charging
    old, old_version = with_preferences(app, "101")
    store_as_older(container, old, old_version, as_version_1)
    new, new_version = with_preferences(app, "102")
    seal_everything(container)

    (state,) = sql(container, "SELECT state FROM EVENTS WHERE originator_id = %s AND originator_version = %s",
                   new, new_version)[0]  # fmt: skip
    stored = json.loads(bytes(state))
    judged_at = datetime.fromisoformat(stored["judged_at"]["_data_"])

    assert (stored["class_version"], stored["answer"], "response" in stored) == (2, "ACCEPTED", False)
    assert datetime.now(timezone.utc) - timedelta(minutes=5) < judged_at <= datetime.now(timezone.utc)
    assert verified(container).intact
    published = [m for m in replayed(container, "charging") if m["type"] == "SessionPreferencesSet"]
    assert [m["response"] for m in published] == ["ACCEPTED", "ACCEPTED"]
    assert not any("answer" in m or "judged_at" in m for m in published)
