"""What every inbound topic shares (``api/conventions.md``): requests carry a ``message_id``, and each
message gets exactly one outcome on ``<topic>.outcomes``.

A context's request model subclasses ``InboundRequest`` and builds its fields from ``producers.fields``,
so an inbound message and an HTTP request refuse the same values.
"""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict

#: The code of the outcome of a message whose ``message_id`` was seen before with another body.
MESSAGE_ID_REUSED = "inbound.message_id_reused"


class InboundRequest(BaseModel):
    """The base of every inbound request: unknown fields are ignored (an upstream may send more)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    message_id: UUID


class Outcome(BaseModel):
    """The one answer to one inbound message, on ``<topic>.outcomes`` under the message's key."""

    message_id: UUID
    status: Literal["accepted", "rejected"]
    code: str | None = None
    detail: str | None = None
    aggregate_id: UUID | None = None
    version: int | None = None
