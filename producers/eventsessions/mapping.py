"""Event-session domain events -> Kafka messages: the one place that knows both sides.

``MAPPING.routes`` names every published event class and its topic.  The key of every message is the
parent event's id (self-keyed catalogues use their own); events after an aggregate's first one do not
repeat the parent's id, so a ``ParentIndex`` looks it up.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from functools import cache
from typing import Any
from uuid import UUID, uuid5

from domain.eventsessions.catalogues import EventType, TimeslotCatalogue
from domain.eventsessions.mail_schedule import MailSchedule, MailTemplate
from domain.eventsessions.parent_event import ParentEvent
from domain.eventsessions.registration import Registration
from domain.eventsessions.seats import RegistrationState
from domain.eventsessions.session import Session
from domain.eventsessions.stages import FIRST_STAGE_ID
from domain.eventsessions.timeslots import timeslot_name
from producers import topics
from producers.eventsessions import mail_messages as mail
from producers.eventsessions import messages as v1
from producers.eventsessions import topics as es_topics
from producers.lookahead import LookaheadIndex
from producers.notifications import OutgoingNotification
from producers.registry import REMEMBER, FirstEvents, Outgoing, UnmappedEventError, leaf_event_classes

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


#: A stored state (its value) -> the member.  pydantic validates a member without reading its ``value``,
#: a Python property that cost the rebuild of a state-carrying message a quarter of its validation.
_STATE: dict[Any, Any] = {s.value: s for s in RegistrationState}


def _state(value: Any) -> Any:
    """The ``RegistrationState`` of a stored value (anything else as it is, for the message to refuse)."""
    return _STATE.get(value, value)


def _seats(event: Any) -> dict[str, Any]:
    return {
        "registration_id": event.registration_id,
        "from_state": _state(event.from_state),
        "to_state": _state(event.to_state),
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
        case ParentEvent.MailSchedulerSet:
            return v1.EventMailSchedulerSet(**c, scheduler_id=event.scheduler_id, interval_type=event.interval_type)
        case ParentEvent.MailSchedulerDropped:
            return v1.EventMailSchedulerDropped(**c, scheduler_id=event.scheduler_id)
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
                phone=event.phone, state=_state(event.state), created_at=_utc(event.created_at),
                date_closed=closed,
            )  # fmt: skip
        case Registration.StateChanged:
            closed = _utc(event.closed_at) if event.closed_at else None
            return v1.RegistrationStateChanged(
                **c, from_state=_state(event.from_state), to_state=_state(event.to_state), date_closed=closed
            )
        case Registration.MovedToSession:
            return v1.RegistrationMovedToSession(
                **c, from_session_id=event.from_session_id, to_session_id=event.to_session_id
            )
    return None


def _rule(event: Any) -> dict[str, Any]:
    return {
        "interval_type": event.interval_type, "interval_unit": event.interval_unit,
        "interval_nbr": event.interval_nbr, "template": event.template,
    }  # fmt: skip


def _mail_template(event: Any, c: dict[str, Any]) -> v1.Message | None:
    match type(event):
        case MailTemplate.Created:
            return mail.MailSchedulerCreated(**c, **_rule(event), sequence=event.sequence)
        case MailTemplate.Changed:
            return mail.MailSchedulerChanged(**c, **_rule(event))
        case MailTemplate.Removed:
            return mail.MailSchedulerRemoved(**c)
    return None


def _optional_utc(value: datetime | None) -> datetime | None:
    return _utc(value) if value is not None else None


def _mail_schedule(event: Any, c: dict[str, Any]) -> v1.Message | None:
    match type(event):
        case MailSchedule.Scheduled:
            return mail.MailScheduleScheduled(
                **c, **_rule(event), scheduler_id=event.scheduler_id, session_id=event.session_id,
                date_begin=_utc(event.date_begin), date_end=_utc(event.date_end),
                scheduled_date=_optional_utc(event.scheduled_date),
            )  # fmt: skip
        case MailSchedule.Rescheduled:
            return mail.MailScheduleRescheduled(
                **c, **_rule(event), date_begin=_utc(event.date_begin), date_end=_utc(event.date_end),
                scheduled_date=_optional_utc(event.scheduled_date),
                attendee_dates={UUID(k): _utc(v) for k, v in event.attendee_dates.items()},
            )  # fmt: skip
        case MailSchedule.Removed:
            return mail.MailScheduleRemoved(**c)
        case MailSchedule.AttendeeQueued:
            return mail.MailScheduleAttendeeQueued(
                **c, registration_id=event.registration_id, scheduled_date=_utc(event.scheduled_date)
            )
        case MailSchedule.AttendeeDropped:
            return mail.MailScheduleAttendeeDropped(**c, registration_id=event.registration_id)
        case MailSchedule.AttendeeMailSent:
            return mail.MailScheduleAttendeeMailSent(
                **c, registration_id=event.registration_id, sent_at=_utc(event.sent_at),
                mail_count_done=event.mail_count_done, mail_done=event.mail_done,
            )  # fmt: skip
        case MailSchedule.MailSent:
            return mail.MailScheduleMailSent(
                **c, sent_at=_utc(event.sent_at), mail_count_done=event.mail_count_done,
                recipients=len(event.recipients),
            )  # fmt: skip
    return None


def _catalogue(event: Any, c: dict[str, Any]) -> v1.Message | None:
    match type(event):
        case EventType.Created:
            return mail.EventTypeCreated(
                **c, name=event.name, use_sessions=event.use_sessions,
                has_seats_limitation=event.has_seats_limitation,
                seats_max=event.seats_max if event.has_seats_limitation else 0, auto_confirm=event.auto_confirm,
                default_timezone=event.default_timezone, mail_schedulers=event.mail_schedulers,
            )  # fmt: skip
        case TimeslotCatalogue.Created:
            return mail.TimeslotCatalogueCreated(**c)
        case TimeslotCatalogue.SlotAdded:
            return mail.TimeslotAdded(**c, slot_id=event.slot_id, time=event.time, name=timeslot_name(event.time))
        case TimeslotCatalogue.SlotRemoved:
            return mail.TimeslotRemoved(**c, slot_id=event.slot_id)
    return None


Builder = Callable[[Any, dict[str, Any]], v1.Message | None]
_BY_AGGREGATE: dict[type, tuple[str, Builder]] = {
    ParentEvent: (es_topics.EVENTS, _parent_event),
    Session: (es_topics.SESSIONS, _session),
    Registration: (es_topics.REGISTRATIONS, _registration),
    MailTemplate: (es_topics.MAIL, _mail_template),
    MailSchedule: (es_topics.MAIL, _mail_schedule),
    EventType: (es_topics.CATALOGUES, _catalogue),
    TimeslotCatalogue: (es_topics.CATALOGUES, _catalogue),
}


#: Aggregates keyed by their own id rather than by a parent event.
_SELF_KEYED = (ParentEvent, EventType, TimeslotCatalogue)
CONTEXT = "eventsessions"


#: First events that name their aggregate's parent event: their own id, or their ``event_id``.
_OWN_ID_FIRST = (ParentEvent.Created, EventType.Created, TimeslotCatalogue.Created)
_PARENT_ID_FIRST = (Session.Scheduled, Registration.Registered, MailTemplate.Created, MailSchedule.Scheduled)


def parent_id_of_created(event: Any) -> UUID | None:
    """The parent event's id, when ``event`` is an aggregate's first event (else None)."""
    kind = _first_kind(type(event))
    if kind == _OWN:
        return event.originator_id
    if kind == _PARENT:
        return event.event_id
    return None


_NEITHER, _OWN, _PARENT = 0, 1, 2


# Cached per event class: the mapping asks for every event it maps, twice, and ``isinstance`` against
# these tuples cost a tenth of a rebuild's mapping.
@cache
def _first_kind(cls: type) -> int:
    return _OWN if issubclass(cls, _OWN_ID_FIRST) else _PARENT if issubclass(cls, _PARENT_ID_FIRST) else _NEITHER


def to_message(event: Any, parent_of: ParentLookup) -> Outgoing:
    """The domain message of one published event (``UnmappedEventError`` for any other)."""
    route = _ROUTE_OF.get(type(event))
    message = None
    if route is not None:
        aggregate, topic, build = route
        parent_id = event.originator_id if aggregate in _SELF_KEYED else (
            parent_id_of_created(event) or parent_of(event.originator_id)
        )  # fmt: skip
        message = build(event, _common(event, parent_id))
    if message is None:
        raise UnmappedEventError(type(event))
    return Outgoing(topic, parent_id, message, message.type, CONTEXT)  # type: ignore[attr-defined]


NOTIFICATION_NAMESPACE = UUID("a4f1c1de-6a3f-4a7e-9d55-2f4e3b7c8d10")


def notification_of(event: Any, key: UUID) -> Outgoing | None:
    """The outgoing notification a "sent" record stands for (``notifications.outgoing.v1``)."""
    sent = _sent_kind(type(event))
    if sent == _TO_MANY:
        recipients = event.recipients
    elif sent == _TO_ONE:
        recipients = [event.recipient]
    else:
        return None
    what = event.what
    notification_id = uuid5(NOTIFICATION_NAMESPACE, f"{event.originator_id}:{event.originator_version}")
    data = {k: (_utc(v).isoformat().replace("+00:00", "Z") if isinstance(v, datetime) else v)
            for k, v in event.context.items()}  # fmt: skip
    message = OutgoingNotification(
        notification_id=notification_id, aggregate_id=event.originator_id, version=event.originator_version,
        occurred_at=_utc(event.timestamp), kind=f"eventsessions.mail.{what['interval_type']}",
        template=what["template"], subject_id=what["subject_id"], event_id=key, session_id=what["session_id"],
        scheduler_id=what["scheduler_id"], schedule_id=event.originator_id, recipients=recipients,
        due_at=_optional_utc(event.due_at), sent_at=_utc(event.sent_at), data=data,
    )  # fmt: skip
    return Outgoing(topics.NOTIFICATIONS_OUTGOING, message.subject_id, message, message.type, CONTEXT, notification_id)


_NOT_SENT, _TO_MANY, _TO_ONE = 0, 1, 2


@cache  # per event class, as ``_first_kind``
def _sent_kind(cls: type) -> int:
    if issubclass(cls, MailSchedule.MailSent):
        return _TO_MANY
    return _TO_ONE if issubclass(cls, MailSchedule.AttendeeMailSent) else _NOT_SENT


def to_messages(event: Any, parent_of: ParentLookup) -> list[Outgoing]:
    """Every message one domain event makes: its domain message, and a notification for a "sent"."""
    domain = to_message(event, parent_of)
    assert isinstance(domain.key, UUID)
    notification = notification_of(event, domain.key)
    return [domain] if notification is None else [domain, notification]


class ParentIndex(LookaheadIndex[UUID]):
    """Remembers the parent event of the ``maxsize`` aggregates seen last; a miss is answered by the
    aggregate's first event: one read each, or, with ``first_events`` while a batch is mapped, one read
    for every aggregate of the batch that would miss (``ahead``, see ``producers.lookahead``)."""

    def __init__(self, repository: Any, maxsize: int = REMEMBER, first_events: FirstEvents | None = None) -> None:
        super().__init__(
            answer_of=parent_id_of_created,
            read_one=lambda aggregate_id: repository.get(aggregate_id, version=1).event_id,
            looked_up=_LOOKED_UP,
            carrying=_CARRYING,
            maxsize=maxsize,
            first_events=first_events,
        )
        self.repository = repository


_ROUTE_OF: dict[type, tuple[type, str, Builder]] = {
    event_class: (aggregate, topic, build)
    for aggregate, (topic, build) in _BY_AGGREGATE.items()
    for event_class in leaf_event_classes([aggregate])
}
#: Every published event class -> its topic (``producers.registry.ContextMapping.routes``).
ROUTES: dict[type, str] = {event_class: route[1] for event_class, route in _ROUTE_OF.items()}


#: The event classes whose parent may have to be looked up (aggregates not keyed by themselves), and
#: those that carry it (``parent_id_of_created``).
_LOOKED_UP = frozenset(c for c, (aggregate, _, _) in _ROUTE_OF.items() if aggregate not in _SELF_KEYED)
_CARRYING = frozenset(c for c in _ROUTE_OF if issubclass(c, _OWN_ID_FIRST + _PARENT_ID_FIRST))


class Bound:
    """The event-sessions mapping bound to one relay or replay (``ContextMapping.bind``)."""

    def __init__(self, parents: ParentIndex) -> None:
        self.parents = parents
        self.ahead = parents.ahead

    def __call__(self, event: Any) -> list[Outgoing]:
        self.parents.see(event)
        return to_messages(event, self.parents)


class EventSessionsMapping:
    """The event-sessions ``ContextMapping`` (see ``producers.registry``)."""

    context = CONTEXT
    routes = ROUTES

    def bind(self, repository: Any, *, remember: int = REMEMBER, first_events: FirstEvents | None = None) -> Bound:
        return Bound(ParentIndex(repository, remember, first_events))


MAPPING = EventSessionsMapping()
