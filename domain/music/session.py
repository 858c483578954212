"""A recurring music session (A.1): its schedule, its settings, and the calendar of its instances.

Invariants:
- ``timezone`` is a known IANA zone; ``recurrence`` is null or valid canonical JSON (A.2.1) under the
  current ``initiation_date``; ``termination_date >= initiation_date`` when both are set (MU-5).
- Buffers are integers >= 0; ``auto_create_hours_ahead`` is an integer in 1..168.
- ``path`` is unique among sessions: the ``SessionPath`` index aggregate of its normalised form names
  this session, and both are saved together (MU-2).
- ``calendar`` lists every live instance of the session with its local date, and ``active_instances``
  the ones whose ``is_active`` flag is set; every command that creates, moves, deletes, activates or
  deactivates an instance updates them in the same save, so auto-create sees every occupied date and
  the active-window pass every active instance (A.4, A.5, MU-21).
- The id of the instance auto-create makes for a date is derived from the session's state
  (``auto_instance_id``), so two racing runs build the same id and the second save conflicts (MU-22).
- Dates are ISO strings in state and events (the event store's transcoder has no ``date``).

Events (A.7; topic ``music.sessions.v1``, key = session id): ``Created{name, path, timezone,
recurrence, session_type, initiation_date, termination_date, location_name, location_street,
location_website, location_phone, city, state, country, active_buffer_minutes_before,
active_buffer_minutes_after, auto_create_instances, auto_create_hours_ahead, created_at,
fingerprint}``, ``DetailsChanged{name, session_type, location_*, city, state, country}`` (all values
after), ``PathChanged{path, previous_path}``, ``TimezoneChanged{timezone}``,
``RecurrenceChanged{recurrence}``, ``LifetimeChanged{initiation_date, termination_date}``,
``BuffersChanged{before, after}``, ``AutoCreateConfigured{enabled, hours_ahead}``; the calendar:
``InstanceListed{instance_id, date}``, ``InstanceUnlisted{instance_id, date}``,
``ActiveInstancesChanged{active_instance_ids}`` (write-side bookkeeping; read models may ignore them).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.music.patterns import parse_recurrence
from domain.music.schedule import Schedule
from domain.shared.copying import FlatStateCopy

DETAIL_FIELDS = (
    "name", "session_type", "location_name", "location_street", "location_website", "location_phone",
    "city", "state", "country",
)  # fmt: skip


def iso(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def from_iso(value: str | None) -> date | None:
    return date.fromisoformat(value) if value is not None else None


class Session(FlatStateCopy, Aggregate):
    @event("Created")
    def __init__(
        self,
        *,
        id: UUID,  # noqa: A002 - eventsourcing keeps it out of the event
        name: str,
        path: str,
        timezone: str,
        recurrence: Any,
        session_type: str,
        initiation_date: str | None,
        termination_date: str | None,
        location_name: str | None,
        location_street: str | None,
        location_website: str | None,
        location_phone: str | None,
        city: str | None,
        state: str | None,
        country: str | None,
        active_buffer_minutes_before: int,
        active_buffer_minutes_after: int,
        auto_create_instances: bool,
        auto_create_hours_ahead: int,
        created_at: datetime,
        fingerprint: str,
    ) -> None:
        self.name = name
        self.path = path
        self.timezone = timezone
        self.recurrence = recurrence
        self.session_type = session_type
        self.initiation_date = initiation_date
        self.termination_date = termination_date
        self.location_name = location_name
        self.location_street = location_street
        self.location_website = location_website
        self.location_phone = location_phone
        self.city = city
        self.state = state
        self.country = country
        self.active_buffer_minutes_before = active_buffer_minutes_before
        self.active_buffer_minutes_after = active_buffer_minutes_after
        self.auto_create_instances = auto_create_instances
        self.auto_create_hours_ahead = auto_create_hours_ahead
        self.created_at = created_at
        self.fingerprint = fingerprint
        self.calendar: dict[str, str] = {}  # instance id -> its local date (ISO)
        self.freed: dict[str, int] = {}  # local date (ISO) -> instances deleted on it (MU-22)
        self.active_instances: list[str] = []  # ids of instances whose is_active is set, sorted

    # -- reading -------------------------------------------------------------------------------------

    @property
    def initiation(self) -> date | None:
        return from_iso(self.initiation_date)

    @property
    def termination(self) -> date | None:
        return from_iso(self.termination_date)

    def schedule(self) -> Schedule:
        return Schedule(
            self.timezone, parse_recurrence(self.recurrence, self.initiation), self.initiation, self.termination
        )

    def occupied_dates(self) -> set[date]:
        return {date.fromisoformat(day) for day in set(self.calendar.values())}

    def instances_between(self, low: date, high: date) -> list[UUID]:
        first, last = low.isoformat(), high.isoformat()
        return [UUID(key) for key, day in self.calendar.items() if first <= day <= last]

    def instances_on(self, day: date) -> list[UUID]:
        return sorted(UUID(key) for key, value in self.calendar.items() if value == day.isoformat())

    def auto_instance_id(self, day: date) -> UUID:
        """MU-22: uuid5 of (session id, local date), with the count of instances deleted on that date, so
        a date freed by a deletion gets a fresh id (the deleted instance's id stays in the store)."""
        freed = self.freed.get(day.isoformat(), 0)
        return uuid5(self.id, day.isoformat() if not freed else f"{day.isoformat()}#{freed}")

    # -- settings ------------------------------------------------------------------------------------

    def change_details(self, values: dict[str, Any]) -> None:
        current = {name: getattr(self, name) for name in DETAIL_FIELDS}
        merged = {**current, **values}
        if merged != current:
            self._details_changed(**merged)

    @event("DetailsChanged")
    def _details_changed(
        self,
        name: str,
        session_type: str,
        location_name: str | None,
        location_street: str | None,
        location_website: str | None,
        location_phone: str | None,
        city: str | None,
        state: str | None,
        country: str | None,
    ) -> None:
        self.name, self.session_type = name, session_type
        self.location_name, self.location_street = location_name, location_street
        self.location_website, self.location_phone = location_website, location_phone
        self.city, self.state, self.country = city, state, country

    def change_path(self, path: str) -> None:
        if path != self.path:
            self._path_changed(path=path, previous_path=self.path)

    @event("PathChanged")
    def _path_changed(self, path: str, previous_path: str) -> None:
        self.path = path

    def change_timezone(self, timezone: str) -> None:
        if timezone != self.timezone:
            self._timezone_changed(timezone=timezone)

    @event("TimezoneChanged")
    def _timezone_changed(self, timezone: str) -> None:
        self.timezone = timezone

    def change_recurrence(self, recurrence: Any) -> None:
        if recurrence != self.recurrence:
            self._recurrence_changed(recurrence=recurrence)

    @event("RecurrenceChanged")
    def _recurrence_changed(self, recurrence: Any) -> None:
        self.recurrence = recurrence

    def change_lifetime(self, initiation_date: str | None, termination_date: str | None) -> None:
        if (initiation_date, termination_date) != (self.initiation_date, self.termination_date):
            self._lifetime_changed(initiation_date=initiation_date, termination_date=termination_date)

    @event("LifetimeChanged")
    def _lifetime_changed(self, initiation_date: str | None, termination_date: str | None) -> None:
        self.initiation_date, self.termination_date = initiation_date, termination_date

    def change_buffers(self, before: int, after: int) -> None:
        if (before, after) != (self.active_buffer_minutes_before, self.active_buffer_minutes_after):
            self._buffers_changed(before=before, after=after)

    @event("BuffersChanged")
    def _buffers_changed(self, before: int, after: int) -> None:
        self.active_buffer_minutes_before, self.active_buffer_minutes_after = before, after

    def configure_auto_create(self, enabled: bool, hours_ahead: int) -> None:
        if (enabled, hours_ahead) != (self.auto_create_instances, self.auto_create_hours_ahead):
            self._auto_create_configured(enabled=enabled, hours_ahead=hours_ahead)

    @event("AutoCreateConfigured")
    def _auto_create_configured(self, enabled: bool, hours_ahead: int) -> None:
        self.auto_create_instances, self.auto_create_hours_ahead = enabled, hours_ahead

    # -- the calendar of instances ---------------------------------------------------------------------

    def list_instance(self, instance_id: UUID, day: date) -> None:
        """A new instance, or one moved to another date."""
        if self.calendar.get(str(instance_id)) != day.isoformat():
            self._instance_listed(instance_id=instance_id, date=day.isoformat())

    @event("InstanceListed")
    def _instance_listed(self, instance_id: UUID, date: str) -> None:
        self.calendar[str(instance_id)] = date

    def unlist_instance(self, instance_id: UUID) -> None:
        """A deleted instance frees its date (A.4)."""
        day = self.calendar.get(str(instance_id))
        if day is not None:
            self._instance_unlisted(instance_id=instance_id, date=day)

    @event("InstanceUnlisted")
    def _instance_unlisted(self, instance_id: UUID, date: str) -> None:
        del self.calendar[str(instance_id)]
        self.freed[date] = self.freed.get(date, 0) + 1
        if str(instance_id) in self.active_instances:
            self.active_instances = [key for key in self.active_instances if key != str(instance_id)]

    def note_activity(self, flags: dict[UUID, bool]) -> None:
        """Keeps ``active_instances`` equal to the instances' flags (saved with them); one event per save."""
        active = set(self.active_instances)
        for instance_id, flag in flags.items():
            (active.add if flag else active.discard)(str(instance_id))
        updated = sorted(active)
        if updated != self.active_instances:
            self._active_instances_changed(active_instance_ids=[UUID(k) for k in updated])

    @event("ActiveInstancesChanged")
    def _active_instances_changed(self, active_instance_ids: list[UUID]) -> None:
        self.active_instances = [str(i) for i in active_instance_ids]
