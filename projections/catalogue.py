"""Every read model by name, for the consumers, ``rebuild`` and ``verify``; every due-notifications query.

A new context adds its read models to ``PROJECTIONS`` and its ``DueQuery`` (if it sends anything) to
``DUE_QUERIES``.
"""

from __future__ import annotations

from projections.base import Projection
from projections.charging.location_energy import LocationEnergyProjection
from projections.charging.sessions import ChargingSessionsProjection
from projections.classroom.attendance import AttendanceReportProjection
from projections.classroom.due import ClassroomDue
from projections.classroom.live_sessions import LiveSessionsProjection
from projections.classroom.memberships import MembershipsProjection
from projections.due import DueQuery
from projections.eventsessions.attendance import AttendanceProjection
from projections.eventsessions.due import EventSessionsDue
from projections.eventsessions.event_dates import EventDatesProjection
from projections.eventsessions.events import EventsProjection
from projections.eventsessions.mail_schedulers import MailSchedulersProjection
from projections.eventsessions.registrations import RegistrationsProjection
from projections.eventsessions.seat_availability import SeatAvailabilityProjection
from projections.music.instances import InstancesProjection as MusicInstancesProjection
from projections.music.popular_tunes import PopularTunesProjection as MusicPopularTunesProjection
from projections.music.tune_log import TuneLogProjection as MusicTuneLogProjection

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
        ChargingSessionsProjection(),
        LocationEnergyProjection(),
        MembershipsProjection(),
        LiveSessionsProjection(),
        AttendanceReportProjection(),
        MusicInstancesProjection(),
        MusicTuneLogProjection(),
        MusicPopularTunesProjection(),
    )
}

DUE_QUERIES: tuple[DueQuery, ...] = (EventSessionsDue(), ClassroomDue())
