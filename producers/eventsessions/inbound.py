"""``inbound.registrations.v1``: registration requests from upstream ticketing, and their outcomes.

The fields are ``producers.fields`` types, the same as ``POST /registrations``'s: a request the HTTP API
would refuse with 422 is dead-lettered here.
"""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import model_validator

from domain.eventsessions.seats import RegistrationState
from producers.fields import Email, Name, Phone
from producers.inbound import InboundRequest
from producers.inbound import Outcome as Outcome  # re-exported: the outcome shape of every inbound topic

REQUIRED_BY_ACTION: dict[str, tuple[str, ...]] = {
    "register": ("event_id", "name", "email"),
    "confirm": ("registration_id",),
    "attend": ("registration_id",),
    "cancel": ("registration_id",),
    "reset": ("registration_id",),
    "move": ("registration_id", "session_id"),
}


class RegistrationRequest(InboundRequest):
    action: Literal["register", "confirm", "attend", "cancel", "reset", "move"]
    registration_id: UUID | None = None
    event_id: UUID | None = None
    session_id: UUID | None = None
    name: Name | None = None
    email: Email | None = None
    phone: Phone | None = None
    state: RegistrationState | None = None

    @model_validator(mode="after")
    def _action_has_its_fields(self) -> RegistrationRequest:
        missing = [f for f in REQUIRED_BY_ACTION[self.action] if getattr(self, f) is None]
        if missing:
            raise ValueError(f"action {self.action!r} requires {', '.join(missing)}")
        return self
