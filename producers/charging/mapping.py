"""Charging domain events -> ``charging.sessions.v1`` messages: the one place that knows both sides.

Every message is keyed by its session's identity text (``topics`` CH-24).  Only ``Created`` and
``Replaced`` carry the identity; for later events an ``IdentityIndex`` remembers it per aggregate and,
on a miss (a relay restarted mid-log), reads the aggregate's first version, whose identity never
changes apart from its casing (R-1, and the key is lower-cased).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any
from uuid import UUID

from domain.charging.documents import to_document
from domain.charging.session import ChargingSession
from producers.charging import messages as v1
from producers.charging.topics import SESSIONS, session_key
from producers.registry import (
    REMEMBER,
    Ahead,
    FirstEvents,
    Outgoing,
    UnmappedEventError,
    leaf_event_classes,
    to_look_up,
)

CONTEXT = "charging"
KeyLookup = Callable[[UUID], str]
E = ChargingSession


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def key_of_session(session: Mapping[str, Any]) -> str:
    return session_key(session["country_code"], session["party_id"], session["id"])


def to_message(event: Any, key: str) -> v1.Message:
    """The message of one charging event (``UnmappedEventError`` for any other)."""
    c: dict[str, Any] = {
        "aggregate_id": event.originator_id,
        "version": event.originator_version,
        "occurred_at": _utc(event.timestamp),
        "session_key": key,
    }
    match type(event):
        case E.Created:
            return v1.SessionCreated(**c, session=to_document(event.session))
        case E.Replaced:
            return v1.SessionReplaced(**c, session=to_document(event.session))
        case E.FieldsPatched:
            return v1.SessionFieldsPatched(**c, changes=to_document(event.changes))
        case E.PeriodsAppended:
            return v1.SessionPeriodsAppended(
                **c, charging_periods=to_document(event.charging_periods), period_count=event.period_count
            )
        case E.StatusChanged:
            return v1.SessionStatusChanged(**c, from_status=event.from_status, to_status=event.to_status)
        case E.StaleUpdateIgnored:
            return v1.SessionStaleUpdateIgnored(
                **c, method=event.method, received_last_updated=_utc(event.received_last_updated),
                current_last_updated=_utc(event.current_last_updated),
            )  # fmt: skip
        case E.PreferencesSet:
            # v2's ``answer`` is the v1 message's ``response``: the published contract keeps its shape.
            return v1.SessionPreferencesSet(**c, preferences=to_document(event.preferences), response=event.answer)
    raise UnmappedEventError(type(event))


class IdentityIndex:
    """Each session aggregate's key, for the ``maxsize`` aggregates seen last; a miss is answered by the
    aggregate's first version: one read each, or, with ``first_events`` while a batch is mapped, one read
    for every session of the batch that would miss (``ahead``)."""

    def __init__(self, repository: Any, maxsize: int = REMEMBER, first_events: FirstEvents | None = None) -> None:
        self.repository = repository
        self.maxsize = maxsize
        self.first_events = first_events
        self._keys: OrderedDict[UUID, str] = OrderedDict()
        self._ahead: Ahead | None = None

    def see(self, event: Any) -> None:
        if isinstance(event, _CARRYING_KEY):
            self._remember(event.originator_id, key_of_session(event.session))

    def __call__(self, aggregate_id: UUID) -> str:
        key = self._keys.get(aggregate_id)
        if key is None and self._ahead:
            self._learn(aggregate_id)
            key = self._keys.get(aggregate_id)
        if key is None:
            first = self.repository.get(aggregate_id, version=1)
            key = key_of_session(first.document)
            self._remember(aggregate_id, key)
        return key

    def ahead(self, batch: Ahead | None) -> None:
        """The batch being mapped (``producers.registry.Bound.batch``), read ahead on a miss."""
        if self.first_events is not None:
            self._ahead = batch

    def _learn(self, missed: UUID) -> None:
        """The keys of every session of the batch that would miss, ``missed`` included, from their
        ``Created`` (whose identity is the first version's), in one read."""
        assert self._ahead is not None and self.first_events is not None
        batch = list(self._ahead())
        wanted = to_look_up(batch, ROUTES, _CARRYING, self._keys)
        wanted.add(missed)
        for first in self.first_events(wanted):
            self.see(first)
        # Every aggregate of the batch is now among the newest, and the batch adds at most its length: with
        # ``maxsize`` at least twice a batch, none is forgotten before it is used (one read per batch).
        known = self._keys
        for _, aggregate_id in batch:
            if aggregate_id in known:
                known.move_to_end(aggregate_id)

    def _remember(self, aggregate_id: UUID, key: str) -> None:
        self._keys[aggregate_id] = key
        self._keys.move_to_end(aggregate_id)
        if len(self._keys) > self.maxsize:
            self._keys.popitem(last=False)


#: The events that carry the session's identity.
_CARRYING_KEY = (E.Created, E.Replaced)


#: Every published event class -> its topic (``producers.registry.ContextMapping.routes``).
ROUTES: dict[type, str] = dict.fromkeys(leaf_event_classes([ChargingSession]), SESSIONS)
_CARRYING = frozenset(c for c in ROUTES if issubclass(c, _CARRYING_KEY))


class ChargingMapping:
    """The charging ``ContextMapping`` (see ``producers.registry``)."""

    context = CONTEXT
    routes = ROUTES

    def bind(self, repository: Any, *, remember: int = REMEMBER, first_events: FirstEvents | None = None) -> Bound:
        return Bound(IdentityIndex(repository, remember, first_events))


class Bound:
    """The charging mapping bound to one relay or replay (``ContextMapping.bind``)."""

    def __init__(self, keys: IdentityIndex) -> None:
        self.keys = keys
        self.ahead = keys.ahead

    def __call__(self, event: Any) -> list[Outgoing]:
        if type(event) not in ROUTES:
            raise UnmappedEventError(type(event))
        self.keys.see(event)
        message = to_message(event, self.keys(event.originator_id))
        return [Outgoing(SESSIONS, message.session_key, message, message.type, CONTEXT)]  # type: ignore[attr-defined]


MAPPING = ChargingMapping()
