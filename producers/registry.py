"""Domain event -> Kafka messages, for every context: the registry the relay publishes through.

Each context has one ``ContextMapping`` (``producers/<context>/mapping.py``) that names, by class,
every event it publishes and the topic it goes to.  ``Registry`` gathers them (``producers.catalogue``)
and answers, for any stored event, the messages it makes.  An event whose class no mapping names is
an error (``UnmappedEventError``), never a silent skip: the relay stops on it and a test proves that
every event class of every context has a route.

Stable type names (``eventsessions.Registration.StateChanged``) come from the event class, not from
its Python module, so moving a module does not rename history for auditors.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Collection, Container, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, NamedTuple, Protocol
from uuid import UUID

from domain.shared.renames import former_topics


class Outgoing(NamedTuple):
    """One message to publish: logical topic, key, the pydantic message, and its ``ce_type``.  (A named
    tuple: made for every event a relay or a rebuild maps, and a frozen dataclass costs three times as much
    to make.)"""

    topic: str  # logical name, without the instance prefix
    key: UUID | str
    message: Any  # a producers.messages.Message, or a notification
    event_type: str
    context: str
    message_id: UUID | None = None  # set when the message has its own id (notifications)


class UnmappedEventError(LookupError):
    """A stored event whose class no context mapping names: a bug to fix, never to skip."""

    def __init__(self, event_class: type) -> None:
        super().__init__(f"no message mapping for event class {event_class.__module__}:{event_class.__qualname__}")
        self.event_class = event_class


#: Builds the messages of one event, with whatever state the binding keeps (a parent index, ...).  A
#: binding that looks things up per aggregate may also have ``ahead(batch)`` (see ``Bound.batch``).
BoundMapping = Callable[[Any], list[Outgoing]]

#: The batch about to be mapped, as (event class, aggregate id) in log order: made only when a lookup
#: misses, so a replay that reads rows need not keep the batch's decoded events (``ahead_of_events``).
Ahead = Callable[[], Iterable[tuple[type, UUID]]]

#: The first stored event of each of the given aggregates, read in one go (a rebuild's bulk lookup).
FirstEvents = Callable[[Collection[UUID]], Iterable[Any]]

#: How many aggregates a binding remembers (a parent event, a key) unless told otherwise: the relay's
#: figure, where a miss costs one read of the aggregate's first version.
REMEMBER = 200_000


class ContextMapping(Protocol):
    @property
    def context(self) -> str: ...

    @property
    def routes(self) -> Mapping[type, str]:
        """Every published event class -> the domain topic its message goes to."""
        ...

    def bind(
        self, repository: Any, *, remember: int = REMEMBER, first_events: FirstEvents | None = None
    ) -> BoundMapping:
        """The mapping for one relay or replay: ``repository`` answers, one aggregate at a time, lookups the
        events do not carry; at most ``remember`` aggregates' answers are kept; with ``first_events``, a miss
        while a batch is mapped (``Bound.batch``) reads the answers of the whole batch at once."""
        ...


def ahead_of_events(events: Sequence[Any]) -> Ahead:
    """``Bound.batch``'s view of decoded events."""
    return lambda: ((type(event), event.originator_id) for event in events)


def to_look_up(batch: Iterable[tuple[type, UUID]], routes: Container[type], carrying: Container[type],
               known: Container[UUID]) -> set[UUID]:  # fmt: skip
    """The aggregates that mapping ``batch`` in this order would look up: events of ``routes`` that are
    not of a ``carrying`` class (one that holds the answer), of aggregates neither ``known`` nor answered
    by an earlier event of the batch."""
    answered: set[UUID] = set()
    wanted: set[UUID] = set()
    for event_class, aggregate_id in batch:
        if event_class not in routes:
            continue
        if event_class in carrying:
            answered.add(aggregate_id)
        elif aggregate_id not in answered and aggregate_id not in known:
            wanted.add(aggregate_id)
    return wanted


def type_name(event_class: type) -> str:
    """The stable dotted name of an event class: ``<context>.<Aggregate>.<Event>``."""
    parts = event_class.__module__.split(".")
    context = parts[1] if len(parts) > 1 and parts[0] == "domain" else parts[0]
    return f"{context}.{event_class.__qualname__}"


def aggregate_prefixes(event_class: type) -> tuple[str, ...]:
    """What the event store's topics of the event's aggregate start with (``module:Aggregate.``): its
    current name's, then those it was stored under before a rename (``domain.shared.renames``)."""
    aggregate_name = event_class.__qualname__.split(".")[0]
    current = f"{event_class.__module__}:{aggregate_name}"
    aggregate = getattr(sys.modules[event_class.__module__], aggregate_name, None)
    former = former_topics(aggregate) if isinstance(aggregate, type) else ()
    return tuple(f"{topic}." for topic in (current, *former))


class Registry:
    def __init__(self, mappings: Sequence[ContextMapping]) -> None:
        self.mappings = tuple(mappings)
        self.topic_of: dict[type, str] = {}
        for mapping in self.mappings:
            for event_class, topic in mapping.routes.items():
                if event_class in self.topic_of:
                    raise ValueError(f"{type_name(event_class)} is mapped twice")
                self.topic_of[event_class] = topic

    def event_classes(self) -> set[type]:
        return set(self.topic_of)

    def topics_by_aggregate(self) -> dict[str, str]:
        """Each aggregate's event-store topic prefix (former names included) -> the domain topic its
        messages go to."""
        return {prefix: topic for cls, topic in self.topic_of.items() for prefix in aggregate_prefixes(cls)}

    def bind(self, repository: Any, *, remember: int = REMEMBER, first_events: FirstEvents | None = None) -> Bound:
        """Every context's mapping bound to ``repository`` (see ``ContextMapping.bind``)."""
        bound: dict[type, BoundMapping] = {}
        lookahead: list[Callable[[Ahead | None], None]] = []
        for mapping in self.mappings:
            one = mapping.bind(repository, remember=remember, first_events=first_events)
            bound.update(dict.fromkeys(mapping.routes, one))
            if (ahead := getattr(one, "ahead", None)) is not None:
                lookahead.append(ahead)
        return Bound(bound, tuple(lookahead))


class Bound:
    """The registry bound to a repository: ``bound(event)`` is the event's messages."""

    __slots__ = ("_bound", "_lookahead")

    def __init__(self, bound: dict[type, BoundMapping], lookahead: tuple[Callable[[Ahead | None], None], ...]) -> None:
        self._bound = bound
        self._lookahead = lookahead

    def __call__(self, event: Any) -> list[Outgoing]:
        build = self._bound.get(type(event))
        if build is None:
            raise UnmappedEventError(type(event))
        return build(event)

    @contextmanager
    def batch(self, batch: Ahead) -> Iterator[None]:
        """Inside, the events of ``batch`` are mapped, in its order: the first lookup that misses reads the
        answers of every aggregate of the batch that would miss, in one go (bindings given ``first_events``;
        the others look up one aggregate at a time).  Nothing is paid while nothing misses."""
        for ahead in self._lookahead:
            ahead(batch)
        try:
            yield
        finally:
            for ahead in self._lookahead:
                ahead(None)


def leaf_event_classes(aggregates: Iterable[type]) -> set[type]:
    """The event classes of ``aggregates`` that can be stored: those no other event of the same
    aggregate extends (``Event`` is a base), minus the generated ``Created`` of an aggregate that
    names its own creation event (``@event("Registered") def __init__``)."""
    from eventsourcing.domain import CanInitAggregate, DomainEvent

    found: set[type] = set()
    for aggregate in aggregates:
        nested = [v for v in vars(aggregate).values() if isinstance(v, type) and issubclass(v, DomainEvent)]
        inherited = [
            v for name in dir(aggregate)
            if isinstance(v := getattr(aggregate, name), type) and issubclass(v, DomainEvent)
            and v.__qualname__.startswith(f"{aggregate.__qualname__}.")
        ]  # fmt: skip
        classes = set(nested) | set(inherited)
        leaves = {c for c in classes if not any(o is not c and issubclass(o, c) for o in classes)}
        creations = {c for c in leaves if issubclass(c, CanInitAggregate)}
        if len(creations) > 1:
            leaves -= {c for c in creations if c.__name__ == "Created"}
        found |= leaves
    return found
