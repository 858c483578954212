"""What every router shares: the container, read-model access, waiting for a version, command answers.

Read models trail the write side, so a GET of one resource may ask for ``min_version``: the request
polls the read model (each poll a short pooled connection, the wait itself off the threadpool) until
the row reflects that version, and answers 503 with ``Retry-After`` when it does not in time.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Annotated, Any, TypeVar
from uuid import UUID

from fastapi import Depends, Query, Request, Response
from psycopg import Cursor, sql
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from domain.eventsessions.application import Outcome
from infra.api.problems import ReadModelBehindError
from infra.container import Container
from projections.base import Row
from projections.catalogue import LIVE_SCHEMA

T = TypeVar("T")
DEFAULT_WAIT_MS = 5000
MAX_WAIT_MS = 10_000
POLL_INTERVAL_S = 0.01


def get_container(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


ContainerDep = Annotated[Container, Depends(get_container)]
MinVersion = Annotated[
    int | None, Query(ge=1, description="Wait until the read model reflects at least this version.")
]
WaitMs = Annotated[
    int, Query(ge=0, description=f"How long to wait for `min_version`, in ms (at most {MAX_WAIT_MS}).")
]


def read(container: Container, query: Callable[[Cursor[Any]], T]) -> T:
    """Runs ``query`` against the live read models, in one short transaction."""
    with container.pool.connection() as conn, conn.cursor() as cur:
        # SET LOCAL: the pooled connection goes back with its own search_path untouched.
        cur.execute(sql.SQL("SET LOCAL search_path TO {}").format(sql.Identifier(LIVE_SCHEMA)))
        return query(cur)


async def read_now(container: Container, query: Callable[[Cursor[Any]], T]) -> T:
    """``read`` off the event loop: the query blocks, the loop must not."""
    return await run_in_threadpool(read, container, query)


async def read_row(
    container: Container,
    query: Callable[[Cursor[Any]], Row | None],
    min_version: int | None,
    wait_ms: int = DEFAULT_WAIT_MS,
) -> Row | None:
    """The row ``query`` finds; with ``min_version``, once its ``version`` reaches it (else 503)."""
    if min_version is None:
        return await read_now(container, query)
    deadline = time.monotonic() + min(wait_ms, MAX_WAIT_MS) / 1000
    while True:
        row = await read_now(container, query)
        if row is not None and row["version"] >= min_version:
            return row
        if time.monotonic() >= deadline:
            raise ReadModelBehindError(f"The read model has not reached version {min_version} yet; retry shortly.")
        await asyncio.sleep(POLL_INTERVAL_S)


class CommandResult(BaseModel):
    """Every command's answer: the aggregate it touched and its version after the command."""

    id: UUID
    version: int


def answer(outcome: Outcome, response: Response | None = None) -> CommandResult:
    """For a create: 201 when new, 200 when an idempotent repeat answered the first result."""
    if response is not None and not outcome.created:
        response.status_code = 200
    return CommandResult(id=outcome.id, version=outcome.version)
