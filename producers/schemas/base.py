"""What every domain message carries: where it comes from, and in which order it must be applied."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = 1


class Message(BaseModel):
    """``aggregate_id``/``version`` order the message; ``event_id`` is the parent event (the Kafka key)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    schema_version: int = SCHEMA_VERSION
    aggregate_id: UUID
    version: int = Field(ge=1)
    event_id: UUID
    occurred_at: datetime
