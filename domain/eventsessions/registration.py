"""A registration (Odoo's ``event.registration``): an attendee of an event, and of one of its sessions.

State machine (spec §4): draft / open / done / cancel; any state may be written to any other.  A
command that asks for the state the registration is already in records nothing.  ``date_closed`` is
set the first time the registration becomes ``done``.  Seat accounting is not here: the session (or
the event without sessions) counts it, in the same transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.eventsessions.seats import RegistrationState
from domain.shared.copying import FlatStateCopy


class Registration(FlatStateCopy, Aggregate):
    class StateChanged(Aggregate.Event):
        """Version 2 renamed ``date_closed`` to ``closed_at`` and added ``reason`` (free text, optional).
        Events stored as version 1 are upcast when they are read; their stored bytes never change."""

        class_version = 2
        from_state: str
        to_state: str
        closed_at: datetime | None
        reason: str | None = None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["closed_at"] = state.pop("date_closed")
            state["reason"] = None

    @event("Registered")
    def __init__(
        self,
        *,
        id: UUID,  # noqa: A002 - the client-chosen or fresh id; eventsourcing keeps it out of the event
        event_id: UUID,
        session_id: UUID | None,
        name: str,
        email: str,
        phone: str | None,
        state: str,
        created_at: datetime,
        fingerprint: str,
    ) -> None:
        self.event_id = event_id
        self.session_id = session_id
        self.name = name
        self.email = email
        self.phone = phone
        self.state = state
        self.created_at = created_at
        self.fingerprint = fingerprint
        self.date_closed: datetime | None = created_at if state == RegistrationState.DONE.value else None

    @property
    def current_state(self) -> RegistrationState:
        return RegistrationState(self.state)

    def change_state(self, to_state: RegistrationState, at: datetime, reason: str | None = None) -> None:
        if to_state.value == self.state:
            return
        closed = at if to_state is RegistrationState.DONE and self.date_closed is None else None
        self._state_changed(from_state=self.state, to_state=to_state.value, closed_at=closed, reason=reason)

    @event(StateChanged)
    def _state_changed(
        self, from_state: str, to_state: str, closed_at: datetime | None, reason: str | None = None
    ) -> None:
        self.state = to_state
        if closed_at is not None:
            self.date_closed = closed_at

    @event("MovedToSession")
    def move_to(self, from_session_id: UUID | None, to_session_id: UUID) -> None:
        self.session_id = to_session_id
