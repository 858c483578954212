"""Every stored event class of the music aggregates maps to a message on the API document's topic and
key, and every message survives the JSON round trip through its topic's decoder."""

from __future__ import annotations

from datetime import timezone
from uuid import UUID

import pytest

from domain.music.application import MusicSessions
from domain.music.instance import SessionInstance
from domain.shared.clock import FrozenClock
from producers.catalogue import DECODERS, REGISTRY
from producers.music import topics
from producers.music.mapping import MAPPING
from tests.support.music import record_every_event
from tests.unit.music.builders import NOW


@pytest.fixture(scope="module")
def stored():
    app = MusicSessions(env={"PERSISTENCE_MODULE": "eventsourcing.popo"}, clock=FrozenClock(NOW))
    scenario = record_every_event(app)
    events = [app.mapper.to_domain_event(n) for n in app.recorder.select_notifications(start=None, limit=100_000)]
    return scenario, events


def test_the_scenario_stores_every_event_class_the_mapping_routes(stored):
    _, events = stored
    assert {type(e) for e in events} == set(MAPPING.routes)


def test_every_stored_event_maps_through_the_registry_to_its_routed_topic(stored):
    _, events = stored
    messages_of = REGISTRY.bind(repository=None)
    for event in events:
        (outgoing,) = messages_of(event)
        assert outgoing.topic == MAPPING.routes[type(event)]
        assert outgoing.context == "music"
        assert outgoing.message.aggregate_id == event.originator_id
        assert outgoing.message.version == event.originator_version


def test_instance_messages_are_keyed_by_the_instance_and_session_messages_by_the_session(stored):
    scenario, events = stored
    messages_of = REGISTRY.bind(repository=None)
    for event in events:
        (outgoing,) = messages_of(event)
        if isinstance(event, SessionInstance.Event):
            assert outgoing.key == event.originator_id
        elif getattr(event, "session_id", None) is not None:
            assert outgoing.key == event.session_id  # the index aggregates: the session they name
    claimed = [messages_of(e)[0] for e in events if type(e).__qualname__ == "SessionPath.Reclaimed"]
    assert claimed[0].key == scenario.other_session_id


def test_every_message_round_trips_through_its_topics_decoder(stored):
    _, events = stored
    messages_of = REGISTRY.bind(repository=None)
    for event in events:
        (outgoing,) = messages_of(event)
        decoded = DECODERS[outgoing.topic](outgoing.message.__pydantic_serializer__.to_json(outgoing.message))
        assert decoded == outgoing.message
        assert decoded.occurred_at.tzinfo is not None and decoded.occurred_at.utcoffset() == timezone.utc.utcoffset(
            None
        )


def test_type_names_are_unique_per_topic(stored):
    _, events = stored
    messages_of = REGISTRY.bind(repository=None)
    by_topic: dict[str, dict[str, type]] = {}
    for event in events:
        (outgoing,) = messages_of(event)
        seen = by_topic.setdefault(outgoing.topic, {})
        assert seen.setdefault(outgoing.event_type, type(event)) is type(event)
    assert set(by_topic) == {topics.SESSIONS, topics.INSTANCES}


def test_a_replaced_log_carries_every_new_entry(stored):
    _scenario, events = stored
    replaced = next(e for e in events if type(e).__qualname__ == "SessionInstance.TuneLogReplaced")
    (outgoing,) = REGISTRY.bind(repository=None)(replaced)
    assert [(e.tune_id, e.name, e.continues_set) for e in outgoing.message.entries] == [
        (None, "The Silver Spear", False),
        (1, None, True),
        (None, "Unknown tune", False),
    ]
    assert isinstance(outgoing.message.entries[0].entry_id, UUID)
