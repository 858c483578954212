"""Classroom domain events -> Kafka messages: the one place that knows both sides.

``MAPPING.routes`` names every stored event class of ``Classroom`` and ``LiveSession`` and its topic.
Every message is keyed by its own aggregate's id (the live session, or the classroom), which is what
the API document names, so no lookup is needed.  ``ReminderSent`` also makes the notification a
mailer delivers (``notifications.outgoing.v1``, keyed by the live session).  The meeting password is
left out of every message (see ``producers.classroom.messages``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any
from uuid import UUID, uuid5

from domain.classroom.classroom import Classroom
from domain.classroom.live_session import LiveSession
from domain.classroom.reminders import NOTIFICATION_KIND
from producers import topics as shared_topics
from producers.classroom import messages as v1
from producers.classroom import topics
from producers.messages import Message
from producers.notifications import ClassroomNotification, StudentRecipient
from producers.registry import Outgoing, UnmappedEventError, leaf_event_classes

CONTEXT = "classroom"
NOTIFICATION_NAMESPACE = UUID("3f0a7c55-2b8e-4d6a-9e41-8c5d2a7b6f93")
PASSWORD = "meeting_password"


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def _optional_utc(value: datetime | None) -> datetime | None:
    return _utc(value) if value is not None else None


def _common(event: Any) -> dict[str, Any]:
    return {
        "aggregate_id": event.originator_id,
        "version": event.originator_version,
        "occurred_at": _utc(event.timestamp),
    }


def _details(changes: dict[str, Any]) -> dict[str, Any]:
    """The changed fields as the message carries them: the password only as whether there is one."""
    values = {k: v for k, v in changes.items() if k != PASSWORD}
    if PASSWORD in changes:
        values["has_meeting_password"] = changes[PASSWORD] is not None
    return values


def _record(event: Any) -> dict[str, Any]:
    return {
        "student_id": event.student_id, "at": _utc(event.at), "status": event.status,
        "joined_at": _optional_utc(event.joined_at), "left_at": _optional_utc(event.left_at),
        "duration_minutes": event.duration_minutes, "connected": event.connected,
    }  # fmt: skip


def _live_session(event: Any, c: dict[str, Any]) -> Message | None:
    match type(event):
        case LiveSession.Scheduled:
            return v1.LiveSessionScheduled(
                **c, classroom_id=event.classroom_id, teacher_id=event.teacher_id, title=event.title,
                description=event.description, scheduled_at=_utc(event.scheduled_at),
                duration_minutes=event.duration_minutes, timezone=event.timezone, session_type=event.session_type,
                meeting_url=event.meeting_url, meeting_id=event.meeting_id,
                has_meeting_password=event.meeting_password is not None, materials=event.materials,
                created_at=_utc(event.created_at),
            )  # fmt: skip
        case LiveSession.DetailsChanged:
            return v1.LiveSessionDetailsChanged(**c, changed=sorted(event.changes), **_details(event.changes))
        case LiveSession.Rescheduled:
            return v1.LiveSessionRescheduled(
                **c, scheduled_at=_utc(event.scheduled_at), previous_scheduled_at=_utc(event.previous_scheduled_at),
                at=_utc(event.at), reminders=[{"minutes": r["minutes"], "due_at": _utc(r["due_at"])}
                                              for r in event.reminders],
            )  # fmt: skip
        case LiveSession.Started:
            return v1.LiveSessionStarted(**c, at=_utc(event.at), by=event.by, trigger=event.trigger)
        case LiveSession.Ended:
            return v1.LiveSessionEnded(**c, at=_utc(event.at), by=event.by, trigger=event.trigger)
        case LiveSession.Cancelled:
            # v2's ``cancelled_at`` is the v1 message's ``at``; ``reason`` is not published (contract v1).
            return v1.LiveSessionCancelled(**c, at=_utc(event.cancelled_at), by=event.by)
        case LiveSession.StudentRegistered:
            return v1.StudentRegistered(**c, student_id=event.student_id, at=_utc(event.at), status=event.status)
        case LiveSession.StudentJoined:
            return v1.StudentJoined(**c, **_record(event))
        case LiveSession.StudentLeft:
            return v1.StudentLeft(**c, **_record(event), closed_by_end=event.closed_by_end)
        case LiveSession.StudentMarkedAbsent:
            return v1.StudentMarkedAbsent(**c, student_id=event.student_id, at=_utc(event.at), status=event.status)
        case LiveSession.StudentExcused:
            return v1.StudentExcused(
                **c, student_id=event.student_id, at=_utc(event.at), status=event.status, by=event.by
            )
        case LiveSession.ReminderAdded:
            return v1.ReminderAdded(**c, minutes=event.minutes, due_at=_utc(event.due_at))
        case LiveSession.ReminderRemoved:
            return v1.ReminderRemoved(**c, minutes=event.minutes)
        case LiveSession.ReminderSent:
            return v1.ReminderSent(
                **c, minutes=event.minutes, due_at=_utc(event.due_at), sent_at=_utc(event.sent_at),
                recipient_count=len(event.recipient_ids),
            )  # fmt: skip
        case LiveSession.ReminderRearmed:
            return v1.ReminderRearmed(**c, minutes=event.minutes, due_at=_utc(event.due_at), at=_utc(event.at))
    return None


def _classroom(event: Any, c: dict[str, Any]) -> Message | None:
    match type(event):
        case Classroom.Created:
            return v1.ClassroomCreated(
                **c, name=event.name, teacher_id=event.teacher_id, created_at=_utc(event.created_at)
            )
        case Classroom.MembershipChanged:
            return v1.MembershipChanged(
                **c, student_id=event.student_id, from_status=event.from_status, status=event.status,
                at=_utc(event.at),
            )  # fmt: skip
    return None


Builder = Callable[[Any, dict[str, Any]], Message | None]
_BY_AGGREGATE: dict[type, tuple[str, Builder]] = {
    LiveSession: (topics.LIVE_SESSIONS, _live_session),
    Classroom: (topics.CLASSROOMS, _classroom),
}
_ROUTE_OF: dict[type, tuple[str, Builder]] = {
    event_class: route for aggregate, route in _BY_AGGREGATE.items() for event_class in leaf_event_classes([aggregate])
}
#: Every published event class -> its topic (``producers.registry.ContextMapping.routes``).
ROUTES: dict[type, str] = {event_class: route[0] for event_class, route in _ROUTE_OF.items()}


def to_message(event: Any) -> Outgoing:
    """The domain message of one event, keyed by its aggregate (``UnmappedEventError`` for any other)."""
    route = _ROUTE_OF.get(type(event))
    message = route[1](event, _common(event)) if route is not None else None
    if route is None or message is None:
        raise UnmappedEventError(type(event))
    return Outgoing(route[0], event.originator_id, message, message.type, CONTEXT)  # type: ignore[attr-defined]


def notification_of(event: Any) -> Outgoing | None:
    """The reminder a ``ReminderSent`` stands for, on ``notifications.outgoing.v1`` (B.5.2, B.5.6)."""
    if not isinstance(event, LiveSession.ReminderSent):
        return None
    notification_id = uuid5(NOTIFICATION_NAMESPACE, f"{event.originator_id}:{event.originator_version}")
    message = ClassroomNotification(
        notification_id=notification_id, aggregate_id=event.originator_id, version=event.originator_version,
        occurred_at=_utc(event.timestamp), kind=NOTIFICATION_KIND, template=event.notification_type,
        subject_id=event.originator_id, session_id=event.originator_id, classroom_id=event.classroom_id,
        minutes=event.minutes, recipients=[StudentRecipient(student_id=UUID(r)) for r in event.recipient_ids],
        due_at=_utc(event.due_at), sent_at=_utc(event.sent_at), title=event.title, body=event.body,
        data=dict(event.data),
    )  # fmt: skip
    return Outgoing(
        shared_topics.NOTIFICATIONS_OUTGOING, event.originator_id, message, message.type, CONTEXT, notification_id
    )


def to_messages(event: Any) -> list[Outgoing]:
    """Every message one event makes: its domain message, and a notification for a sent reminder."""
    domain = to_message(event)
    notification = notification_of(event)
    return [domain] if notification is None else [domain, notification]


class ClassroomMapping:
    """The classroom ``ContextMapping`` (see ``producers.registry``)."""

    context = CONTEXT
    routes = ROUTES

    def bind(self, repository: Any, **_options: Any) -> Callable[[Any], list[Outgoing]]:
        # Every message is built from its own event: nothing to remember or look up.
        return to_messages


MAPPING = ClassroomMapping()
