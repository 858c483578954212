"""Every event class of every context maps to a published message; an event class without a route fails.

For each context, a scenario (``tests/support/<context>.py``) runs its application until it has recorded
every kind of event.  Each stored event goes through ``producers.catalogue.REGISTRY`` (the relay's
mapping) and must make at least one message that its topic's decoder reads back.  The classes the
scenario produced must equal the classes the registry routes, and the leaf event classes of every
aggregate in ``domain/<context>``: a new event class without a route, or without a scenario step, fails.
A new context adds one line to ``SCENARIOS``.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from typing import Any

import pytest
from eventsourcing.domain import Aggregate

from producers.catalogue import DECODERS, REGISTRY
from producers.registry import leaf_event_classes, type_name
from tests.support import charging, classroom, eventsessions, music

#: context -> a function that returns its application after recording every kind of event.
SCENARIOS: dict[str, Callable[[], Any]] = {
    "eventsessions": lambda: eventsessions.every_event(eventsessions.in_memory()),
    "charging": lambda: charging.every_event(charging.in_memory()),
    "classroom": lambda: classroom.every_event(classroom.in_memory()),
    "music": lambda: music.every_event(music.in_memory()),
}


def aggregates_of(context: str) -> set[type]:
    """Every aggregate class defined in the package ``domain.<context>``."""
    package = importlib.import_module(f"domain.{context}")
    found: set[type] = set()
    for module_info in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
        module = importlib.import_module(module_info.name)
        found |= {
            value
            for value in vars(module).values()
            if isinstance(value, type) and issubclass(value, Aggregate) and value.__module__ == module.__name__
        }
    return found


def of_context(classes: set[type], context: str) -> set[type]:
    return {c for c in classes if type_name(c).startswith(f"{context}.")}


@pytest.mark.parametrize("context", sorted(SCENARIOS))
def test_every_event_class_of_the_context_is_published(context):
    app = SCENARIOS[context]()
    messages_of = REGISTRY.bind(app.repository)
    produced: set[type] = set()
    for notification in app.recorder.select_notifications(start=None, limit=1_000_000):
        event = app.mapper.to_domain_event(notification)
        produced.add(type(event))
        outgoing = messages_of(event)
        assert outgoing, f"{type_name(type(event))} made no message"
        for out in outgoing:
            if out.topic in DECODERS:  # a domain topic: the consumers read back what the relay sends
                assert DECODERS[out.topic](out.message.model_dump_json().encode()) == out.message

    produced = of_context(produced, context)
    routed = of_context(REGISTRY.event_classes(), context)
    leaves = leaf_event_classes(aggregates_of(context))
    assert sorted(map(type_name, routed - produced)) == [], "routed event classes the scenario never records"
    assert produced == routed
    assert sorted(map(type_name, leaves ^ routed)) == [], "event classes of the aggregates without a route"


def test_an_event_class_without_a_route_is_an_error():
    from producers.registry import UnmappedEventError

    class Stray(Aggregate):
        pass

    event = Stray().collect_events()[0]
    with pytest.raises(UnmappedEventError):
        REGISTRY.bind(None)(event)
