"""Event-session aggregates as auditors see them (``infra.audit.views``): in the field names of their
HTTP views, built by the same view functions from the aggregate as of an instant instead of the read
models, with "now" read as that instant."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

from domain.eventsessions.catalogues import EventType
from domain.eventsessions.mail_intervals import mail_state
from domain.eventsessions.mail_schedule import MailSchedule
from domain.eventsessions.parent_event import ParentEvent
from domain.eventsessions.registration import Registration
from domain.eventsessions.session import Session
from infra.api.eventsessions.catalogues import EventTypeOut
from infra.api.eventsessions.events import MailSchedulerIn, event_view
from infra.api.eventsessions.mail import MailScheduleOut
from infra.api.eventsessions.registrations import registration_view
from infra.api.eventsessions.sessions import session_view
from projections.eventsessions.seat_availability import COLUMNS as SESSION_COLUMNS

Related = Callable[[UUID], Any]


def _attrs(aggregate: Any, names: tuple[str, ...]) -> dict[str, Any]:
    return {n: getattr(aggregate, n) for n in names}


def _session_row(session: Any) -> dict[str, Any]:
    return {**_attrs(session, SESSION_COLUMNS[3:]), "id": session.id, "event_id": session.event_id,
            "version": session.version}  # fmt: skip


def session_state(session: Session, related: Related, as_of: datetime) -> Mapping[str, Any]:
    event = related(session.event_id)
    if event is None:
        return {**_session_row(session)}
    parent = {"name": event.name, "date_tz": event.date_tz}
    return session_view(_session_row(session), parent, as_of, "UTC").model_dump(mode="json")


def registration_state(registration: Registration, related: Related, as_of: datetime) -> Mapping[str, Any]:
    dates: tuple[datetime | None, datetime | None] = (None, None)
    if registration.session_id is not None:
        session = related(registration.session_id)
        dates = (session.date_begin, session.date_end) if session is not None else dates
    else:
        event = related(registration.event_id)
        if event is not None and not event.use_sessions:
            dates = (event.date_begin, event.date_end)
    row = {**_attrs(registration, ("event_id", "session_id", "name", "email", "phone", "state", "created_at",
                                   "date_closed")), "id": registration.id, "version": registration.version,
           "event_dates": dates}  # fmt: skip
    return registration_view(row).model_dump(mode="json")


def event_state(event: ParentEvent, related: Related, as_of: datetime) -> Mapping[str, Any]:
    row = {**_attrs(event, ("name", "date_tz", "use_sessions", "seats_limited", "seats_max", "auto_confirm",
                            "event_type_id", "date_begin", "date_end", "stage_id", "seats_unconfirmed",
                            "seats_reserved", "seats_used")), "id": event.id, "version": event.version,
           "session_count": 0}  # fmt: skip
    if event.use_sessions:
        sessions = [s for s in (related(i) for i in event.session_ids) if s is not None and not s.deleted]
        active = [s for s in sessions if s.active]
        row["session_count"] = len(active)
        if active:
            row.update(date_begin=min(s.date_begin for s in active), date_end=max(s.date_end for s in active))
        for figure in ("seats_unconfirmed", "seats_reserved", "seats_used"):
            row[figure] = sum(getattr(s, figure) for s in sessions)
    return event_view(row).model_dump(mode="json")


def event_type_state(t: EventType, related: Related, as_of: datetime) -> Mapping[str, Any]:
    return EventTypeOut(
        id=t.id, version=t.version, name=t.name, use_sessions=t.use_sessions,
        has_seats_limitation=t.has_seats_limitation, seats_max=t.seats_max, auto_confirm=t.auto_confirm,
        default_timezone=t.default_timezone, mail_schedulers=[MailSchedulerIn(**m) for m in t.mail_schedulers],
    ).model_dump(mode="json")  # fmt: skip


def mail_schedule_state(copy: MailSchedule, related: Related, as_of: datetime) -> Mapping[str, Any]:
    fields = {n: getattr(copy, n) for n in MailScheduleOut.model_fields if n not in ("id", "version", "mail_state")}
    state = mail_state(copy.interval_type, copy.mail_done, copy.scheduled_date)
    return MailScheduleOut(id=copy.id, version=copy.version, mail_state=state, **fields).model_dump(mode="json")


VIEWS: dict[type, Callable[[Any, Related, datetime], Mapping[str, Any]]] = {
    ParentEvent: event_state,
    Session: session_state,
    Registration: registration_state,
    EventType: event_type_state,
    MailSchedule: mail_schedule_state,
}
