"""Every read model by name, for the consumers, ``rebuild`` and ``verify``."""

from __future__ import annotations

from projections.attendance import AttendanceProjection
from projections.base import Projection
from projections.event_dates import EventDatesProjection
from projections.events import EventsProjection
from projections.mail_schedulers import MailSchedulersProjection
from projections.registrations import RegistrationsProjection
from projections.seat_availability import SeatAvailabilityProjection

LIVE_SCHEMA = "readmodels"

PROJECTIONS: dict[str, Projection] = {
    p.name: p
    for p in (
        EventsProjection(), SeatAvailabilityProjection(), EventDatesProjection(), RegistrationsProjection(),
        AttendanceProjection(), MailSchedulersProjection(),
    )
}
