"""Every event class the charging aggregate stores maps to a ``charging.sessions.v1`` message, keyed by
the session's identity text, and every message survives its own decoder (CH-15, CH-24)."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

from domain.charging.application import ChargingSessions
from domain.charging.documents import from_document, to_document
from domain.charging.validation import validate_charging_preferences, validate_session, validate_session_patch
from producers.catalogue import REGISTRY, decoder_for
from producers.charging import messages as v1
from producers.charging.mapping import MAPPING, IdentityIndex
from producers.charging.topics import SESSIONS
from producers.registry import ahead_of_events
from tests.unit.charging.conftest import period, session_body
from tests.unit.charging.examples import ROUND_TRIP_SESSIONS, load

KEY = '["nl","stk","101"]'


def every_event(app: ChargingSessions) -> list[Any]:
    """A scenario that stores every event class: create, replace, patch, append, status, stale, preferences."""
    app.put_session("NL", "STK", "101", validate_session(session_body(), "2.2.1"))
    app.put_session(
        "NL", "STK", "101", validate_session(session_body(kwh=1, last_updated="2020-03-09T10:18:00Z"), "2.2.1")
    )
    patch = {
        "kwh": 2,
        "status": "ACTIVE",
        "charging_periods": [period("2020-03-09T10:19:00Z")],
        "last_updated": "2020-03-09T10:19:00Z",
    }
    app.patch_session("NL", "STK", "101", validate_session_patch(patch, "2.2.1"))
    app.patch_session(
        "NL", "STK", "101", validate_session_patch({"kwh": 0, "last_updated": "2020-03-09T10:00:00Z"}, "2.2.1")
    )
    app.set_charging_preferences("NL", "STK", "101", validate_charging_preferences({"profile_type": "FAST"}, "2.2.1"))
    return [app.mapper.to_domain_event(n) for n in app.recorder.select_notifications(start=1, limit=100)]


def test_CH15_every_stored_event_class_maps_to_a_message_of_the_sessions_topic(app: ChargingSessions) -> None:
    events = every_event(app)
    messages_of = REGISTRY.bind(app.repository)

    produced = {type(event) for event in events}
    outgoing = [out for event in events for out in messages_of(event)]

    assert produced == set(MAPPING.routes)
    assert {out.topic for out in outgoing} == {SESSIONS}
    assert {out.key for out in outgoing} == {KEY}
    assert [out.message.type for out in outgoing] == [
        "SessionCreated", "SessionReplaced", "SessionFieldsPatched", "SessionPeriodsAppended",
        "SessionStatusChanged", "SessionStaleUpdateIgnored", "SessionPreferencesSet",
    ]  # fmt: skip


def test_CH24_every_message_round_trips_through_the_topics_decoder(app: ChargingSessions) -> None:
    messages_of = REGISTRY.bind(app.repository)

    for event in every_event(app):
        (out,) = messages_of(event)
        decoded = decoder_for(SESSIONS)(out.message.__pydantic_serializer__.to_json(out.message))
        assert decoded == out.message
        assert isinstance(decoded, v1.Message) and decoded.version == event.originator_version


def test_CH24_a_relay_that_restarts_mid_log_finds_the_key_from_the_first_version(app: ChargingSessions) -> None:
    events = every_event(app)

    keys = IdentityIndex(app.repository)

    assert keys(events[-1].originator_id) == KEY


def test_CH23_sessions_survive_the_document_form_of_messages_and_read_models() -> None:
    for version, text in ROUND_TRIP_SESSIONS.values():
        stored = validate_session(load(text), version).to_stored()
        document = json.loads(json.dumps(to_document(stored)), parse_float=Decimal)

        assert from_document(document) == stored
        assert to_document(stored)["last_updated"].endswith("Z")


def test_CH23_numbers_become_json_numbers() -> None:
    stored = validate_session(
        session_body(kwh=41.12, charging_periods=[period("2020-03-09T10:19:00Z", ("ENERGY", 120))]), "2.2.1"
    ).to_stored()

    document = to_document(stored)

    assert document["kwh"] == 41.12 and isinstance(document["kwh"], float)
    assert document["charging_periods"][0]["dimensions"][0]["volume"] == 120
    assert document["start_date_time"] == "2020-03-09T10:17:09Z"
    assert datetime(2020, 3, 9, 10, 17, 9, tzinfo=timezone.utc) == from_document(document)["start_date_time"]


def test_CH24_a_replay_that_remembers_few_sessions_reads_their_keys_a_batch_at_a_time(app: ChargingSessions) -> None:
    ids = [str(101 + i) for i in range(6)]
    for session_id in ids:
        app.put_session("NL", "STK", session_id, validate_session(session_body(id=session_id), "2.2.1"))
    for session_id in ids:  # long after each session was created: a small index has forgotten its key
        patch = {"kwh": 2, "last_updated": "2020-03-09T10:19:00Z"}
        app.patch_session("NL", "STK", session_id, validate_session_patch(patch, "2.2.1"))
    events = [app.mapper.to_domain_event(n) for n in app.recorder.select_notifications(start=1, limit=100)]
    firsts = {e.originator_id: e for e in events if e.originator_version == 1}
    reads: list[set[Any]] = []
    looked_up: list[Any] = []

    def first_events(wanted: Any) -> list[Any]:
        reads.append(set(wanted))
        return [firsts[i] for i in wanted]

    def get(aggregate_id: Any, version: int) -> Any:
        looked_up.append(aggregate_id)
        return app.repository.get(aggregate_id, version=version)

    bound = REGISTRY.bind(type("Repository", (), {"get": staticmethod(get)})(), remember=4, first_events=first_events)
    got = []
    for start in range(0, len(events), 2):
        with bound.batch(ahead_of_events(events[start : start + 2])):
            got += [out for event in events[start : start + 2] for out in bound(event)]

    expected = [out for event in events for out in REGISTRY.bind(app.repository)(event)]
    assert [(o.key, o.message) for o in got] == [(o.key, o.message) for o in expected]
    assert {o.key for o in got} == {f'["nl","stk","{i}"]' for i in ids}
    assert looked_up == [] and reads  # the misses were read a batch at a time, never one by one
