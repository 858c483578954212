"""``inbound.registrations.v1``: registration requests from upstream ticketing, and their outcomes."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, EmailStr, Field, model_validator

from domain.eventsessions.seats import RegistrationState

REQUIRED_BY_ACTION: dict[str, tuple[str, ...]] = {
    "register": ("event_id", "name", "email"),
    "confirm": ("registration_id",),
    "attend": ("registration_id",),
    "cancel": ("registration_id",),
    "reset": ("registration_id",),
    "move": ("registration_id", "session_id"),
}


class RegistrationRequest(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, use_enum_values=True)

    message_id: UUID
    action: Literal["register", "confirm", "attend", "cancel", "reset", "move"]
    registration_id: UUID | None = None
    event_id: UUID | None = None
    session_id: UUID | None = None
    name: str | None = Field(default=None, min_length=1)
    email: EmailStr | None = None
    phone: str | None = None
    state: RegistrationState | None = None

    @model_validator(mode="after")
    def _action_has_its_fields(self) -> RegistrationRequest:
        missing = [f for f in REQUIRED_BY_ACTION[self.action] if getattr(self, f) is None]
        if missing:
            raise ValueError(f"action {self.action!r} requires {', '.join(missing)}")
        return self


class Outcome(BaseModel):
    message_id: UUID
    status: Literal["accepted", "rejected"]
    code: str | None = None
    detail: str | None = None
    aggregate_id: UUID | None = None
    version: int | None = None
