"""The due-notifications queue of every context: ``GET /notifications/due``.

Sending is not an endpoint: the dispatcher (in ``sessionstream run``, or ``sessionstream notifications
dispatch --at``) records what is due as sent, and the relay publishes it on ``notifications.outgoing.v1``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from infra.api.auth import bearer
from infra.api.context import ContainerDep, read_now
from infra.api.instants import Instant, UtcInstant
from infra.api.problems import responses
from projections.catalogue import DUE_QUERIES
from projections.due import all_due

router = APIRouter(tags=["notifications"], dependencies=[Depends(bearer)], responses=responses(401, 403, 422))


class DueNotification(BaseModel):
    """One notification that should have been sent and has not been.  Contexts add their own fields
    (event sessions: ``event_id``, ``session_id``; recipients with ``registration_id``, ``name``, ``email``)."""

    model_config = ConfigDict(extra="allow")

    id: str = Field(description="Stable until sent, e.g. a copy's id, or `<copy id>:<registration id>` for after_sub.")
    kind: str = Field(description="e.g. `eventsessions.mail.before_event`, `live_session_reminder`.")
    context: str
    due_at: UtcInstant
    template: str
    subject_id: str = Field(description="What it is about: a session, a registration, a live session, ...")
    recipients: list[dict[str, Any]]


@router.get("/notifications/due")
async def due_notifications(
    container: ContainerDep,
    at: Annotated[Instant | None, Query(description="The instant to evaluate at (default: now).")] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> list[DueNotification]:
    """Everything that should have been sent at or before ``at`` and has not been, oldest first."""
    when: datetime = at or container.clock.now()
    items = await read_now(container, lambda cur: all_due(cur, DUE_QUERIES, when, limit))
    return [
        DueNotification(
            id=i.id, kind=i.kind, context=i.context, due_at=i.due_at, template=i.template,
            subject_id=str(i.subject_id), recipients=i.recipients, **i.details,
        )
        for i in items
    ]  # fmt: skip
