"""``inbound.presence.v1``: a video platform's presence webhooks, and their outcomes.

A webhook is ``{message_id, event, room, participant, at}``: ``room`` is the live session's id,
``participant`` the student's (required for ``participant_joined`` / ``participant_left``), ``at`` the
instant the platform observed (ISO 8601 with ``Z`` or an offset; a naive one means UTC).  ``at`` is
required: attendance durations are computed from it, and a late or out-of-order webhook can only be
placed right by its own instant (CL-1).  Anything else fails the schema and goes to the DLT.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, model_validator

from domain.shared.clock import as_utc

PARTICIPANT_JOINED, PARTICIPANT_LEFT, ROOM_FINISHED = "participant_joined", "participant_left", "room_finished"

UtcDatetime = Annotated[datetime, AfterValidator(as_utc)]


class PresenceWebhook(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    message_id: UUID
    event: Literal["participant_joined", "participant_left", "room_finished"]
    room: UUID
    participant: UUID | None = None
    at: UtcDatetime

    @model_validator(mode="after")
    def _joins_and_leaves_name_their_participant(self) -> PresenceWebhook:
        if self.event != ROOM_FINISHED and self.participant is None:
            raise ValueError(f"event {self.event!r} requires participant")
        return self


class PresenceOutcome(BaseModel):
    """One per webhook on ``inbound.presence.v1.outcomes`` (``api/conventions.md``)."""

    message_id: UUID
    status: Literal["accepted", "rejected"]
    code: str | None = None
    detail: str | None = None
    aggregate_id: UUID | None = None
    version: int | None = None
