"""What every domain message carries: where it comes from, and in which order it must be applied."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = 1


class Message(BaseModel):
    """A domain message of any context: ``aggregate_id``/``version`` order it (read models drop what they
    have seen and record gaps by them); each context adds its own fields (``producers/<context>``)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    schema_version: int = SCHEMA_VERSION
    aggregate_id: UUID
    version: int = Field(ge=1)
    occurred_at: datetime
