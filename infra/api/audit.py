"""``/audit/*``: the history of any aggregate, its state as of an instant or version, and the sealed log.

Only audit tokens reach these routes (``infra.api.auth``).  Every context is served alike: an
aggregate is found by its id in the one event store.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from pydantic import AfterValidator, BaseModel, BeforeValidator
from starlette.concurrency import run_in_threadpool

from domain.shared.errors import InvalidInputError
from domain.shared.limits import INT8_MAX
from infra.api.auth import bearer
from infra.api.context import ContainerDep
from infra.api.problems import responses
from infra.audit.chain import ChainStore
from infra.audit.history import History, describe, iso_z, state_as_of
from infra.audit.views import state_of
from producers.audit import stored_timestamp
from producers.fields import _date_and_time


def _precise(value: datetime) -> datetime:
    # Unlike other inputs, an audit instant keeps its microseconds: events are microseconds apart.
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


#: An instant as ``Instant`` reads it, to the microsecond.
PreciseInstant = Annotated[datetime, BeforeValidator(_date_and_time), AfterValidator(_precise)]

router = APIRouter(
    prefix="/audit", tags=["audit"], dependencies=[Depends(bearer)], responses=responses(401, 403, 404, 422)
)
MAX_EVENTS = 1000
MAX_LOG = 10_000


class AuditedEvent(BaseModel):
    version: int
    type: str
    occurred_at: str
    position: int
    data: dict[str, Any]


class AggregateHistory(BaseModel):
    aggregate_id: UUID
    aggregate_type: str
    context: str
    events: list[AuditedEvent]
    next: str | None


class AggregateState(BaseModel):
    aggregate_id: UUID
    aggregate_type: str
    version: int
    as_of: str
    state: dict[str, Any]


class LogEntry(BaseModel):
    position: int
    aggregate_id: UUID | None
    version: int | None
    type: str | None
    occurred_at: str | None
    hash: str


class Head(BaseModel):
    position: int
    hash: str | None


class SealedLog(BaseModel):
    events: list[LogEntry]
    head: Head
    next: str | None


@router.get("/aggregates/{aggregate_id}/events")
async def aggregate_events(
    aggregate_id: UUID,
    request: Request,
    container: ContainerDep,
    from_version: Annotated[int, Query(ge=1, le=INT8_MAX)] = 1,
    limit: Annotated[int, Query(ge=1, le=MAX_EVENTS)] = 100,
) -> AggregateHistory:
    """The aggregate's stored events, oldest first (snapshots are not events)."""
    page = await run_in_threadpool(History(container.event_store).events, aggregate_id, from_version, limit)
    following = None
    if page.more:
        following = str(request.url.include_query_params(from_version=page.events[-1]["version"] + 1, limit=limit))
    return AggregateHistory(
        aggregate_id=aggregate_id, aggregate_type=page.described.aggregate_type, context=page.described.context,
        events=[AuditedEvent(**e) for e in page.events], next=following,
    )  # fmt: skip


@router.get("/aggregates/{aggregate_id}/state")
async def aggregate_state(
    aggregate_id: UUID,
    container: ContainerDep,
    at: Annotated[
        PreciseInstant | None, Query(description="An RFC 3339 instant: the last version at or before it.")
    ] = None,
    version: Annotated[int | None, Query(ge=1, le=INT8_MAX)] = None,
) -> AggregateState:
    """The aggregate rebuilt from its events up to an instant or a version (the latest without either)."""
    if at is not None and version is not None:
        raise InvalidInputError("at", "Give either at or version, not both.")

    def rebuild() -> AggregateState:
        found = state_as_of(container.apps, aggregate_id, at=at, version=version)
        return AggregateState(
            aggregate_id=aggregate_id, aggregate_type=found.described.aggregate_type, version=found.version,
            as_of=iso_z(found.as_of), state=state_of(found.aggregate, found.related, found.as_of),
        )  # fmt: skip

    return await run_in_threadpool(rebuild)


@router.get("/log")
async def sealed_log(
    request: Request,
    container: ContainerDep,
    from_position: Annotated[int, Query(ge=1, le=INT8_MAX)] = 1,
    limit: Annotated[int, Query(ge=1, le=MAX_LOG)] = 1000,
) -> SealedLog:
    """The sealed chain in log order, each link with its event, and the chain's head."""
    recorder = container.event_store.recorder
    table = f'"{recorder.datastore.schema}"."{recorder.events_table_name}"'
    store = ChainStore(container.pool)

    def read() -> SealedLog:
        rows = store.page(table, from_position, limit + 1)
        head = store.head_link()
        entries = [_entry(r) for r in rows[:limit]]
        following = None
        if len(rows) > limit:
            following = str(request.url.include_query_params(from_position=rows[limit][0], limit=limit))
        return SealedLog(events=entries, head=Head(position=head[0], hash=head[1].hex() if head[1] else None),
                         next=following)  # fmt: skip

    return await run_in_threadpool(read)


def _entry(row: tuple[Any, ...]) -> LogEntry:
    position, aggregate_id, version, topic, state, digest = row
    occurred = None
    if state is not None:
        stamp = stored_timestamp(bytes(state))
        occurred = iso_z(datetime.fromisoformat(stamp.decode())) if stamp else None
    return LogEntry(
        position=position, aggregate_id=aggregate_id, version=version,
        type=describe(topic).type if topic else None, occurred_at=occurred, hash=bytes(digest).hex(),
    )  # fmt: skip
