"""Domain event -> Kafka message: the one place that knows both sides.

``to_message`` returns the topic, the key (the parent event's id) and the message.  Events after an
aggregate's first one do not repeat the parent's id, so the caller passes ``parent_of`` to look it up.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from uuid import UUID

from domain.eventsessions.parent_event import ParentEvent
from domain.eventsessions.registration import Registration
from domain.eventsessions.session import Session
from domain.eventsessions.stages import FIRST_STAGE_ID
from producers import topics
from producers.schemas import eventsessions_v1 as v1


@dataclass(frozen=True)
class Outgoing:
    topic: str  # logical name, without the instance prefix
    key: UUID
    message: v1.Message
    event_type: str


ParentLookup = Callable[[UUID], UUID]


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def _common(event: Any, parent_id: UUID) -> dict[str, Any]:
    return {
        "aggregate_id": event.originator_id,
        "version": event.originator_version,
        "event_id": parent_id,
        "occurred_at": _utc(event.timestamp),
    }


def _seats(event: Any) -> dict[str, Any]:
    return {
        "registration_id": event.registration_id,
        "from_state": event.from_state,
        "to_state": event.to_state,
        "seats_unconfirmed": event.seats_unconfirmed,
        "seats_reserved": event.seats_reserved,
        "seats_used": event.seats_used,
    }


def _parent_event(event: Any, c: dict[str, Any]) -> v1.Message | None:
    match type(event):
        case ParentEvent.Created:
            return v1.EventCreated(
                **c, name=event.name, date_tz=event.date_tz, use_sessions=event.use_sessions,
                seats_limited=event.seats_limited, seats_max=event.seats_max,
                auto_confirm=event.auto_confirm, event_type_id=event.event_type_id,
                date_begin=_utc(event.date_begin), date_end=_utc(event.date_end),
                stage_id=FIRST_STAGE_ID, created_at=_utc(event.created_at),
            )  # fmt: skip
        case ParentEvent.DetailsChanged:
            return v1.EventDetailsChanged(**c, changed=sorted(event.changes), **event.changes)
        case ParentEvent.CapacityChanged:
            return v1.EventCapacityChanged(**c, seats_limited=event.seats_limited, seats_max=event.seats_max)
        case ParentEvent.UseSessionsToggled:
            return v1.EventUseSessionsToggled(**c, use_sessions=event.use_sessions)
        case ParentEvent.SessionAttached:
            return v1.EventSessionAttached(**c, session_id=event.session_id)
        case ParentEvent.SessionDetached:
            return v1.EventSessionDetached(**c, session_id=event.session_id)
        case ParentEvent.RegistrationsStarted:
            return v1.EventRegistrationsStarted(**c)
        case ParentEvent.SeatsChanged:
            return v1.EventSeatsChanged(**c, **_seats(event))
    return None


def _session(event: Any, c: dict[str, Any]) -> v1.Message | None:
    match type(event):
        case Session.Scheduled:
            return v1.SessionScheduled(
                **c, date_begin=_utc(event.date_begin), date_end=_utc(event.date_end),
                seats_limited=event.seats_limited, seats_max=event.seats_max,
                stage_id=FIRST_STAGE_ID, kanban_state="normal", created_at=_utc(event.created_at),
            )  # fmt: skip
        case Session.Rescheduled:
            return v1.SessionRescheduled(**c, date_begin=_utc(event.date_begin), date_end=_utc(event.date_end))
        case Session.Archived:
            return v1.SessionArchived(**c)
        case Session.Unarchived:
            return v1.SessionUnarchived(**c)
        case Session.Deleted:
            return v1.SessionDeleted(**c)
        case Session.StageChanged:
            return v1.SessionStageChanged(**c, stage_id=event.stage_id)
        case Session.KanbanStateChanged:
            return v1.SessionKanbanStateChanged(**c, kanban_state=event.kanban_state)
        case Session.CapacityChanged:
            return v1.SessionCapacityChanged(**c, seats_limited=event.seats_limited, seats_max=event.seats_max)
        case Session.SeatsChanged:
            return v1.SessionSeatsChanged(**c, **_seats(event))
    return None


def _registration(event: Any, c: dict[str, Any]) -> v1.Message | None:
    match type(event):
        case Registration.Registered:
            closed = _utc(event.created_at) if event.state == "done" else None
            return v1.RegistrationRegistered(
                **c, session_id=event.session_id, name=event.name, email=event.email,
                phone=event.phone, state=event.state, created_at=_utc(event.created_at),
                date_closed=closed,
            )  # fmt: skip
        case Registration.StateChanged:
            closed = _utc(event.date_closed) if event.date_closed else None
            return v1.RegistrationStateChanged(
                **c, from_state=event.from_state, to_state=event.to_state, date_closed=closed
            )
        case Registration.MovedToSession:
            return v1.RegistrationMovedToSession(
                **c, from_session_id=event.from_session_id, to_session_id=event.to_session_id
            )
    return None


_BY_AGGREGATE: dict[type, tuple[str, Callable[[Any, dict[str, Any]], v1.Message | None]]] = {
    ParentEvent: (topics.EVENTS, _parent_event),
    Session: (topics.SESSIONS, _session),
    Registration: (topics.REGISTRATIONS, _registration),
}


def parent_id_of_created(event: Any) -> UUID | None:
    """The parent event's id, when ``event`` is an aggregate's first event (else None)."""
    if isinstance(event, ParentEvent.Created):
        return event.originator_id
    if isinstance(event, (Session.Scheduled, Registration.Registered)):
        return event.event_id
    return None


def to_message(event: Any, parent_of: ParentLookup) -> Outgoing | None:
    """The message for one domain event, or None for events that are not published."""
    aggregate_class = type(event).__qualname__.split(".")[0]
    for cls, (topic, build) in _BY_AGGREGATE.items():
        if cls.__name__ == aggregate_class:
            if cls is ParentEvent:
                parent_id = event.originator_id
            else:
                parent_id = parent_id_of_created(event) or parent_of(event.originator_id)
            message = build(event, _common(event, parent_id))
            if message is None:
                return None
            return Outgoing(topic, parent_id, message, message.type)  # type: ignore[attr-defined]
    return None


class ParentIndex:
    """Remembers each aggregate's parent event; a miss is answered by the aggregate's first event."""

    def __init__(self, repository: Any, maxsize: int = 200_000) -> None:
        self.repository = repository
        self.maxsize = maxsize
        self._parents: OrderedDict[UUID, UUID] = OrderedDict()

    def see(self, event: Any) -> None:
        parent = parent_id_of_created(event)
        if parent is not None:
            self._remember(event.originator_id, parent)

    def __call__(self, aggregate_id: UUID) -> UUID:
        parent = self._parents.get(aggregate_id)
        if parent is None:
            parent = self.repository.get(aggregate_id, version=1).event_id
            self._remember(aggregate_id, parent)
        return parent

    def _remember(self, aggregate_id: UUID, parent_id: UUID) -> None:
        self._parents[aggregate_id] = parent_id
        if len(self._parents) > self.maxsize:
            self._parents.popitem(last=False)


def messages_of(app: Any, notifications: Iterable[Any], parents: ParentIndex) -> Iterator[tuple[Any, Outgoing]]:
    """(notification, outgoing message) for each published notification, in order."""
    for notification in notifications:
        event = app.mapper.to_domain_event(notification)
        parents.see(event)
        outgoing = to_message(event, parents)
        if outgoing is not None:
            yield notification, outgoing
