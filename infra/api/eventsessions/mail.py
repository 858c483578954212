"""Mail scheduling (spec §7): an event's schedulers and each session's copies (the due queue is
``infra.api.notifications``).

Sending is not an endpoint: the dispatcher (in ``sessionstream run``, or ``sessionstream notifications
dispatch --at``) records what is due as sent, and the relay publishes it on ``notifications.outgoing.v1``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, ConfigDict, Field

from domain.eventsessions.errors import EventNotFoundError, SessionNotFoundError
from infra.api.auth import bearer
from infra.api.context import CommandResult, ContainerDep, answer, read_now
from infra.api.eventsessions.events import MailSchedulerIn
from infra.api.instants import UtcInstant
from infra.api.problems import responses
from infra.container import Container
from producers.fields import Count, Template
from projections.eventsessions import events, mail_schedulers, seat_availability

router = APIRouter(tags=["mail"], dependencies=[Depends(bearer)], responses=responses(401, 403, 404, 409, 422))


class MailSchedulerCreate(MailSchedulerIn):
    id: UUID | None = None


class MailSchedulerPatch(BaseModel):
    """Only the fields sent change; every copy follows at once (§7.2), "sent" is never reset."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [
            {"interval_nbr": 2, "template": "Reminder"}
        ]},
    )  # fmt: skip

    interval_nbr: Count = Field(default=None)
    interval_unit: Literal["now", "hours", "days", "weeks", "months"] = Field(default=None)
    interval_type: Literal["after_sub", "before_event", "after_event"] = Field(default=None)
    template: Template = Field(default=None)


class MailScheduleOut(BaseModel):
    """One copy of a scheduler: a session's own, or the event's (``session_id`` null)."""

    id: UUID
    version: int
    scheduler_id: UUID
    session_id: UUID | None
    interval_type: str
    interval_unit: str
    interval_nbr: int
    template: str
    scheduled_date: UtcInstant | None
    mail_done: bool
    mail_count_done: int
    mail_state: Literal["running", "sent", "scheduled"]


@router.post("/events/{event_id}/mail-schedulers", status_code=201)
def add_mail_scheduler(
    event_id: UUID, body: MailSchedulerCreate, response: Response, container: ContainerDep
) -> CommandResult:
    return answer(container.app.add_mail_scheduler(event_id, body.rule(), id=body.id), response)


@router.patch("/mail-schedulers/{scheduler_id}")
def update_mail_scheduler(scheduler_id: UUID, body: MailSchedulerPatch, container: ContainerDep) -> CommandResult:
    return answer(container.app.update_mail_scheduler(scheduler_id, body.model_dump(exclude_unset=True)))


@router.delete("/mail-schedulers/{scheduler_id}", status_code=204, response_class=Response)
def remove_mail_scheduler(scheduler_id: UUID, container: ContainerDep) -> None:
    container.app.remove_mail_scheduler(scheduler_id)


async def _copies(container: Container, exists: Callable[[Any], Any], **owner: UUID) -> list[MailScheduleOut] | None:
    """The owner's copies, or None when the owner is not (yet) in the read models."""

    def query(cur: Any) -> list[dict[str, Any]] | None:
        return mail_schedulers.of_owner(cur, **owner) if exists(cur) is not None else None

    rows = await read_now(container, query)
    if rows is None:
        return None
    return [MailScheduleOut(**{k: r[k] for k in MailScheduleOut.model_fields}) for r in rows]


@router.get("/sessions/{session_id}/mail-schedulers")
async def session_mail_schedulers(session_id: UUID, container: ContainerDep) -> list[MailScheduleOut]:
    """The session's copies with their own dates and "sent" status (§2.7, Q15)."""
    found = await _copies(container, lambda cur: seat_availability.get_session(cur, session_id), session_id=session_id)
    if found is None:
        raise SessionNotFoundError(f"Session {session_id} not found.")
    return found


@router.get("/events/{event_id}/mail-schedulers")
async def event_mail_schedulers(event_id: UUID, container: ContainerDep) -> list[MailScheduleOut]:
    """The event's own schedulers: the templates; their date is empty while the event uses sessions (§2.6)."""
    found = await _copies(container, lambda cur: events.get_event(cur, event_id), event_id=event_id)
    if found is None:
        raise EventNotFoundError(f"Event {event_id} not found.")
    return found
