"""Charging domain events -> ``charging.sessions.v1`` messages: the one place that knows both sides.

Every message is keyed by its session's identity text (``topics`` CH-24).  Only ``Created`` and
``Replaced`` carry the identity; for later events an ``IdentityIndex`` remembers it per aggregate and,
on a miss (a relay restarted mid-log), reads the aggregate's first version, whose identity never
changes apart from its casing (R-1, and the key is lower-cased).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any
from uuid import UUID

from domain.charging.documents import to_document
from domain.charging.session import ChargingSession
from producers.charging import messages as v1
from producers.charging.topics import SESSIONS, session_key
from producers.lookahead import LookaheadIndex
from producers.registry import REMEMBER, FirstEvents, Outgoing, UnmappedEventError, leaf_event_classes

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


class IdentityIndex(LookaheadIndex[str]):
    """Each session aggregate's key, for the ``maxsize`` aggregates seen last; a miss is answered by the
    aggregate's first version: one read each, or, with ``first_events`` while a batch is mapped, one read
    for every session of the batch that would miss (``ahead``, see ``producers.lookahead``), from their
    ``Created``, whose identity is the first version's."""

    def __init__(self, repository: Any, maxsize: int = REMEMBER, first_events: FirstEvents | None = None) -> None:
        super().__init__(
            answer_of=_key_carried,
            read_one=lambda aggregate_id: key_of_session(repository.get(aggregate_id, version=1).document),
            looked_up=ROUTES,
            carrying=_CARRYING,
            maxsize=maxsize,
            first_events=first_events,
        )
        self.repository = repository


def _key_carried(event: Any) -> str | None:
    """The key of the session an event carries (``Created``, ``Replaced``), else None."""
    return key_of_session(event.session) if isinstance(event, _CARRYING_KEY) else None


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
