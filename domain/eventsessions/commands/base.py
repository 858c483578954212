"""Loading the event-sessions aggregates: the base every command mixin extends."""

from __future__ import annotations

from uuid import UUID

from domain.eventsessions.errors import EventNotFoundError, RegistrationNotFoundError, SessionNotFoundError
from domain.eventsessions.parent_event import ParentEvent
from domain.eventsessions.registration import Registration
from domain.eventsessions.session import Session
from domain.shared.application import ContextApplication


class EventSessionsBase(ContextApplication):
    context = "eventsessions"

    def get_event(self, event_id: UUID) -> ParentEvent:
        return self.get_as(event_id, ParentEvent, EventNotFoundError, "Event")

    def get_session(self, session_id: UUID) -> Session:
        session = self.get_as(session_id, Session, SessionNotFoundError, "Session")
        if session.deleted:
            raise SessionNotFoundError(f"Session {session_id} not found.")
        return session

    def get_registration(self, registration_id: UUID) -> Registration:
        return self.get_as(registration_id, Registration, RegistrationNotFoundError, "Registration")

    def sessions_of(self, parent: ParentEvent) -> list[Session]:
        """Every session of the event, archived ones included, in the order they were attached."""
        return [self.get_session(sid) for sid in parent.session_ids]
