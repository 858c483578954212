"""Commands on registrations (spec §4, Q1/Q2): register, change state, move to another session.

The registration and the ledger that counts it (its session, or the event without sessions) are
saved together, so C1/C2 hold under any concurrency.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from domain.eventsessions.commands.mailing import MailingCommands
from domain.eventsessions.errors import SessionNotFoundError
from domain.eventsessions.parent_event import ParentEvent
from domain.eventsessions.registration import Registration
from domain.eventsessions.seats import RegistrationState
from domain.eventsessions.session import Session
from domain.shared.application import Outcome, fingerprint
from domain.shared.errors import InvalidInputError


class RegistrationCommands(MailingCommands):
    def register(
        self,
        *,
        event_id: UUID,
        name: str,
        email: str,
        session_id: UUID | None = None,
        phone: str | None = None,
        state: str | None = None,
        id: UUID | None = None,  # noqa: A002
    ) -> Outcome:
        if state is not None and state not in RegistrationState.values():
            raise InvalidInputError("state", "state must be draft, open, done or cancel.")
        digest = fingerprint(
            {
                "event_id": event_id,
                "session_id": session_id,
                "name": name,
                "email": email,
                "phone": phone,
                "state": state,
            }
        )

        def create(new_id: UUID) -> Outcome:
            parent = self.get_event(event_id)
            session = self._session_for(parent, session_id)
            default = RegistrationState.OPEN if parent.auto_confirm else RegistrationState.DRAFT
            chosen = RegistrationState(state) if state is not None else default
            registration = Registration(
                id=new_id,
                event_id=event_id,
                session_id=session_id,
                name=name,
                email=email,
                phone=phone,
                state=chosen.value,
                created_at=self.clock.now(),
                fingerprint=digest,
            )
            ledger: ParentEvent | Session = session or parent
            if session is not None:
                session.count_registration(new_id, None, chosen, event_name=parent.name, arriving=True)
            else:
                parent.count_registration(new_id, None, chosen)
            parent_changed = not parent.has_registrations
            parent.note_registration()
            touched = [registration, ledger] + ([parent] if parent_changed and ledger is not parent else [])
            self.save(*touched, *self.queue_attendee(parent, ledger, registration))
            return Outcome(registration.id, registration.version, created=True)

        return self.create_once(id, Registration, "registration", digest, create)

    def _session_for(self, parent: ParentEvent, session_id: UUID | None) -> Session | None:
        """Q1/Q2: a session event's registration needs a session, and one of that event."""
        if not parent.use_sessions:
            if session_id is not None:
                raise InvalidInputError("session_id", "This event does not use sessions.")
            return None
        if session_id is None:
            raise InvalidInputError("session_id", "session_id is required: the event uses sessions.")
        try:
            session = self.get_session(session_id)
        except SessionNotFoundError:
            raise InvalidInputError("session_id", f"Session {session_id} not found.") from None
        if session.event_id != parent.id:
            raise InvalidInputError("session_id", "The session does not belong to the registration's event.")
        return session

    def change_registration_state(self, registration_id: UUID, to_state: RegistrationState) -> Outcome:
        """Confirm (open), attend (done), cancel, or reset to draft; the ledger follows."""

        def attempt() -> Outcome:
            registration = self.get_registration(registration_id)
            from_state = registration.current_state
            if from_state is to_state:
                return Outcome(registration.id, registration.version)
            parent = self.get_event(registration.event_id)
            ledger: ParentEvent | Session
            if registration.session_id is not None:
                ledger = self.get_session(registration.session_id)
                ledger.count_registration(registration.id, from_state, to_state, event_name=parent.name)
            else:
                ledger = parent
                parent.count_registration(registration.id, from_state, to_state)
            registration.change_state(to_state, self.clock.now())
            queued = self.queue_attendee(parent, ledger, registration) if not from_state.takes_a_seat else []
            self.save(registration, ledger, *queued)
            return Outcome(registration.id, registration.version)

        return self.retrying(attempt)

    def move_registration(self, registration_id: UUID, to_session_id: UUID) -> Outcome:
        """Moves a registration to another session of its event: C1/C2 on the target session."""

        def attempt() -> Outcome:
            registration = self.get_registration(registration_id)
            if registration.session_id == to_session_id:
                return Outcome(registration.id, registration.version)
            parent = self.get_event(registration.event_id)
            target = self._session_for(parent, to_session_id)
            assert target is not None  # _session_for raises for events without sessions
            state = registration.current_state
            touched: list[Any] = [registration, target]
            if registration.session_id is not None:
                source = self.get_session(registration.session_id)
                source.count_registration(registration.id, state, None, event_name=parent.name)
                touched += [source, *self.drop_attendee(parent, source.id, registration.id)]
            target.count_registration(registration.id, None, state, event_name=parent.name, arriving=True)
            registration.move_to(registration.session_id, target.id)
            self.save(*touched, *self.queue_attendee(parent, target, registration))
            return Outcome(registration.id, registration.version)

        return self.retrying(attempt)
