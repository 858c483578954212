"""The parent event (Odoo's ``event.event``).

Invariants:
- ``date_end >= date_begin`` for an event without sessions (C4b; equal is allowed).
- ``use_sessions`` never changes once the event has any registration (C6).  The first registration
  marks the event (``RegistrationsStarted``), so a toggle racing it loses on the version check.
- An event without sessions owns its seat ledger: C1 holds on it.  An event with sessions does not
  (C3): its capacity is enforced per session, on copies of ``seats_limited``/``seats_max`` that every
  capacity change writes to all its sessions in the same transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.eventsessions.seats import RegistrationState, SeatCounts, check_seat_change
from domain.eventsessions.stages import FIRST_STAGE_ID
from domain.shared.copying import FlatStateCopy


class ParentEvent(FlatStateCopy, Aggregate):
    @event("Created")
    def __init__(
        self,
        *,
        id: UUID,  # noqa: A002 - the client-chosen or fresh id; eventsourcing keeps it out of the event
        name: str,
        date_tz: str,
        use_sessions: bool,
        seats_limited: bool,
        seats_max: int,
        auto_confirm: bool,
        event_type_id: UUID | None,
        date_begin: datetime,
        date_end: datetime,
        created_at: datetime,
        fingerprint: str,
    ) -> None:
        self.name = name
        self.date_tz = date_tz
        self.use_sessions = use_sessions
        self.seats_limited = seats_limited
        self.seats_max = seats_max
        self.auto_confirm = auto_confirm
        self.event_type_id = event_type_id
        self.date_begin = date_begin
        self.date_end = date_end
        self.created_at = created_at
        self.fingerprint = fingerprint
        self.stage_id = FIRST_STAGE_ID
        self.session_ids: list[UUID] = []
        self.has_registrations = False
        self.seats_unconfirmed = 0
        self.seats_reserved = 0
        self.seats_used = 0
        self.attendees: dict[str, str] = {}  # registration id -> state, for an event without sessions
        self.mail_schedulers: dict[str, str] = {}  # scheduler id -> interval_type, in creation order

    # -- queries ---------------------------------------------------------------------------------

    @property
    def seats(self) -> SeatCounts:
        return SeatCounts(
            self.seats_limited,
            self.seats_max,
            self.seats_unconfirmed,
            self.seats_reserved,
            self.seats_used,
        )

    # -- commands --------------------------------------------------------------------------------

    def change_details(self, changes: dict[str, Any]) -> None:
        """Name, time zone, auto-confirm, stage, and own dates; only values that differ are recorded."""
        changed = {k: v for k, v in changes.items() if getattr(self, k) != v}
        if changed:
            self._details_changed(changes=changed)

    @event("DetailsChanged")
    def _details_changed(self, changes: dict[str, Any]) -> None:
        for key, value in changes.items():
            setattr(self, key, value)

    def change_capacity(self, seats_limited: bool, seats_max: int) -> None:
        if (seats_limited, seats_max) != (self.seats_limited, self.seats_max):
            self._capacity_changed(seats_limited=seats_limited, seats_max=seats_max)

    @event("CapacityChanged")
    def _capacity_changed(self, seats_limited: bool, seats_max: int) -> None:
        self.seats_limited = seats_limited
        self.seats_max = seats_max

    @event("UseSessionsToggled")
    def toggle_use_sessions(self, use_sessions: bool) -> None:
        self.use_sessions = use_sessions

    @event("SessionAttached")
    def attach_session(self, session_id: UUID) -> None:
        self.session_ids.append(session_id)

    @event("SessionDetached")
    def detach_session(self, session_id: UUID) -> None:
        self.session_ids.remove(session_id)

    def set_mail_scheduler(self, scheduler_id: UUID, interval_type: str) -> None:
        """Adds a template, or notes its new type: registrations look up the after_sub ones here."""
        if self.mail_schedulers.get(str(scheduler_id)) != interval_type:
            self._mail_scheduler_set(scheduler_id=scheduler_id, interval_type=interval_type)

    @event("MailSchedulerSet")
    def _mail_scheduler_set(self, scheduler_id: UUID, interval_type: str) -> None:
        self.mail_schedulers[str(scheduler_id)] = interval_type

    @event("MailSchedulerDropped")
    def drop_mail_scheduler(self, scheduler_id: UUID) -> None:
        self.mail_schedulers.pop(str(scheduler_id), None)

    def scheduler_ids(self, interval_type: str | None = None) -> list[UUID]:
        return [UUID(k) for k, t in self.mail_schedulers.items() if interval_type in (None, t)]

    def note_registration(self) -> None:
        if not self.has_registrations:
            self._registrations_started()

    @event("RegistrationsStarted")
    def _registrations_started(self) -> None:
        self.has_registrations = True

    @event("SeatsChanged")
    def record_seats(
        self,
        registration_id: UUID,
        from_state: str | None,
        to_state: str | None,
        seats_unconfirmed: int,
        seats_reserved: int,
        seats_used: int,
    ) -> None:
        """The ledger of an event without sessions, after one registration changed state."""
        if to_state is None:
            self.attendees.pop(str(registration_id), None)
        else:
            self.attendees[str(registration_id)] = to_state
        self.seats_unconfirmed = seats_unconfirmed
        self.seats_reserved = seats_reserved
        self.seats_used = seats_used

    def count_registration(
        self,
        registration_id: UUID,
        from_state: RegistrationState | None,
        to_state: RegistrationState | None,
        *,
        arriving: bool = False,
    ) -> SeatCounts:
        """Counts one registration's change of state, refusing it per C1 (C2 for new arrivals)."""
        after = check_seat_change(self.seats, from_state, to_state, name=self.name, arriving=arriving)
        self.record_seats(
            registration_id=registration_id,
            from_state=from_state.value if from_state else None,
            to_state=to_state.value if to_state else None,
            seats_unconfirmed=after.seats_unconfirmed,
            seats_reserved=after.seats_reserved,
            seats_used=after.seats_used,
        )
        return after
