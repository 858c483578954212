"""A session: one dated occurrence of a parent event, and the owner of its seat ledger.

Invariants:
- ``date_end > date_begin`` (C4; equal is refused too).
- C1 and C2 (``seats``) hold on its ledger under any concurrency: every registration command that
  touches the session records a ``SeatsChanged`` on it in the same transaction as the registration's
  own event, so two commands racing for the last seat conflict on the session's version.
- ``seats_limited``/``seats_max`` are the parent event's; the session keeps a copy, written by every
  capacity change of the event in the same transaction, so C1 can be checked here alone.
- A session that any registration points to (in any state) cannot be deleted (C7).
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.eventsessions.errors import DatesOutOfOrderError, NotEnoughSeatsError, SessionInUseError
from domain.eventsessions.seats import RegistrationState, SeatCounts, check_seat_change
from domain.eventsessions.stages import ENDED_STAGE_ID, FIRST_STAGE_ID
from domain.shared.copying import FlatStateCopy


def check_session_dates(date_begin: datetime, date_end: datetime) -> None:
    if date_end <= date_begin:
        raise DatesOutOfOrderError()


class Session(FlatStateCopy, Aggregate):
    @event("Scheduled")
    def __init__(
        self,
        *,
        id: UUID,  # noqa: A002 - the client-chosen or fresh id; eventsourcing keeps it out of the event
        event_id: UUID,
        date_begin: datetime,
        date_end: datetime,
        seats_limited: bool,
        seats_max: int,
        created_at: datetime,
        fingerprint: str,
    ) -> None:
        self.event_id = event_id
        self.date_begin = date_begin
        self.date_end = date_end
        self.seats_limited = seats_limited
        self.seats_max = seats_max
        self.created_at = created_at
        self.fingerprint = fingerprint
        self.active = True
        self.deleted = False
        self.stage_id = FIRST_STAGE_ID
        self.kanban_state = "normal"
        self.seats_unconfirmed = 0
        self.seats_reserved = 0
        self.seats_used = 0
        self.registrations_total = 0  # in any state: C7 refuses deletion while it is > 0
        self.attendees: dict[str, str] = {}  # registration id -> state: who gets this session's mails

    @property
    def seats(self) -> SeatCounts:
        return SeatCounts(
            self.seats_limited,
            self.seats_max,
            self.seats_unconfirmed,
            self.seats_reserved,
            self.seats_used,
        )

    # -- dates, archive, stage -------------------------------------------------------------------

    def reschedule(self, date_begin: datetime, date_end: datetime) -> None:
        check_session_dates(date_begin, date_end)
        if (date_begin, date_end) != (self.date_begin, self.date_end):
            self._rescheduled(date_begin=date_begin, date_end=date_end)

    @event("Rescheduled")
    def _rescheduled(self, date_begin: datetime, date_end: datetime) -> None:
        self.date_begin = date_begin
        self.date_end = date_end

    def set_active(self, active: bool) -> None:
        if active and not self.active:
            self._unarchived()
        elif not active and self.active:
            self._archived()

    @event("Archived")
    def _archived(self) -> None:
        self.active = False

    @event("Unarchived")
    def _unarchived(self) -> None:
        self.active = True

    def change_stage(self, stage_id: int) -> None:
        if stage_id != self.stage_id:
            self._stage_changed(stage_id=stage_id)

    def mark_done(self) -> None:
        """Moves to the first pipe-end stage ("Ended"); kanban state is kept (spec Q9)."""
        self.change_stage(ENDED_STAGE_ID)

    @event("StageChanged")
    def _stage_changed(self, stage_id: int) -> None:
        self.stage_id = stage_id

    def change_kanban_state(self, kanban_state: str) -> None:
        if kanban_state != self.kanban_state:
            self._kanban_state_changed(kanban_state=kanban_state)

    @event("KanbanStateChanged")
    def _kanban_state_changed(self, kanban_state: str) -> None:
        self.kanban_state = kanban_state

    def delete(self) -> None:
        if self.registrations_total > 0:
            raise SessionInUseError()
        self._deleted()

    @event("Deleted")
    def _deleted(self) -> None:
        self.deleted = True
        self.active = False

    # -- seats -----------------------------------------------------------------------------------

    def shortage_under(self, seats_limited: bool, seats_max: int) -> int:
        """C1 for a capacity change of the parent event: seats missing under the new capacity."""
        return self.seats.with_capacity(seats_limited, seats_max).missing_seats()

    def apply_capacity(self, seats_limited: bool, seats_max: int, *, event_name: str) -> None:
        missing = self.shortage_under(seats_limited, seats_max)
        if missing:
            raise NotEnoughSeatsError([(event_name, missing)])
        if (seats_limited, seats_max) != (self.seats_limited, self.seats_max):
            self._capacity_changed(seats_limited=seats_limited, seats_max=seats_max)

    @event("CapacityChanged")
    def _capacity_changed(self, seats_limited: bool, seats_max: int) -> None:
        self.seats_limited = seats_limited
        self.seats_max = seats_max

    def count_registration(
        self,
        registration_id: UUID,
        from_state: RegistrationState | None,
        to_state: RegistrationState | None,
        *,
        event_name: str,
        arriving: bool = False,
    ) -> SeatCounts:
        """Counts one registration arriving, leaving or changing state; refuses it per C1/C2."""
        after = check_seat_change(self.seats, from_state, to_state, name=event_name, arriving=arriving)
        total = self.registrations_total + (1 if from_state is None else 0) - (1 if to_state is None else 0)
        self._seats_changed(
            registration_id=registration_id,
            from_state=from_state.value if from_state else None,
            to_state=to_state.value if to_state else None,
            seats_unconfirmed=after.seats_unconfirmed,
            seats_reserved=after.seats_reserved,
            seats_used=after.seats_used,
            registrations_total=total,
        )
        return after

    @event("SeatsChanged")
    def _seats_changed(
        self,
        registration_id: UUID,
        from_state: str | None,
        to_state: str | None,
        seats_unconfirmed: int,
        seats_reserved: int,
        seats_used: int,
        registrations_total: int,
    ) -> None:
        if to_state is None:
            self.attendees.pop(str(registration_id), None)
        else:
            self.attendees[str(registration_id)] = to_state
        self.seats_unconfirmed = seats_unconfirmed
        self.seats_reserved = seats_reserved
        self.seats_used = seats_used
        self.registrations_total = registrations_total
