"""Every read model by name, for the consumers, ``rebuild`` and ``verify``; every due-notifications query.

A new context adds its read models to ``PROJECTIONS`` and its ``DueQuery`` (if it sends anything) to
``DUE_QUERIES``.
"""

from __future__ import annotations

from projections.base import Projection
from projections.due import DueQuery
from projections.eventsessions.attendance import AttendanceProjection
from projections.eventsessions.due import EventSessionsDue
from projections.eventsessions.event_dates import EventDatesProjection
from projections.eventsessions.events import EventsProjection
from projections.eventsessions.mail_schedulers import MailSchedulersProjection
from projections.eventsessions.registrations import RegistrationsProjection
from projections.eventsessions.seat_availability import SeatAvailabilityProjection

LIVE_SCHEMA = "readmodels"

PROJECTIONS: dict[str, Projection] = {
    p.name: p
    for p in (
        EventsProjection(),
        SeatAvailabilityProjection(),
        EventDatesProjection(),
        RegistrationsProjection(),
        AttendanceProjection(),
        MailSchedulersProjection(),
    )
}

DUE_QUERIES: tuple[DueQuery, ...] = (EventSessionsDue(),)
