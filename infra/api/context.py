"""What every router shares: the container, read-model access, waiting for a version, command answers.

Read models trail the write side, so a GET of one resource may ask for ``min_version``: the request
polls the read model (each poll a short pooled connection, the wait itself off the threadpool) until
the row reflects that version, and answers 503 with ``Retry-After`` when it does not in time.  When
the row is missing or behind, the event store says at once whether the aggregate exists at all (if
not: 404 without waiting) and whether that version was written (if not: 503 without waiting).  Every
read runs under the API's statement timeout.
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

from domain.shared.application import Outcome
from domain.shared.errors import NotFoundError
from domain.shared.limits import INT4_MAX
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
    int | None, Query(ge=1, le=INT4_MAX, description="Wait until the read model reflects at least this version.")
]
WaitMs = Annotated[
    int, Query(ge=0, le=INT4_MAX, description=f"How long to wait for `min_version`, in ms (at most {MAX_WAIT_MS}).")
]


def read(container: Container, query: Callable[[Cursor[Any]], T]) -> T:
    """Runs ``query`` against the live read models, in one short transaction."""
    settings = container.settings
    with container.pool.connection(timeout=settings.db_pool_timeout_s) as conn, conn.cursor() as cur:
        # SET LOCAL: the pooled connection goes back with its own settings untouched.
        cur.execute(sql.SQL("SET LOCAL search_path TO {}").format(sql.Identifier(LIVE_SCHEMA)))
        timeout_ms = int(settings.api_statement_timeout_ms)
        cur.execute(sql.SQL("SET LOCAL statement_timeout = {}").format(sql.Literal(timeout_ms)))
        return query(cur)


async def read_now(container: Container, query: Callable[[Cursor[Any]], T]) -> T:
    """``read`` off the event loop: the query blocks, the loop must not."""
    return await run_in_threadpool(read, container, query)


def written(load: Callable[[], Any]) -> Callable[[], int | None]:
    """``written_version`` for ``read_row``: the version of the aggregate a write-side getter loads, or
    None when it raises ``NotFoundError`` (the getter checks the kind too: a session's id is no event)."""

    def version() -> int | None:
        try:
            aggregate = load()
        except NotFoundError:
            return None
        return int(aggregate.version)

    return version


async def read_row(
    container: Container,
    query: Callable[[Cursor[Any]], Row | None],
    min_version: int | None,
    wait_ms: int = DEFAULT_WAIT_MS,
    *,
    written_version: Callable[[], int | None] | None = None,
) -> Row | None:
    """The row ``query`` finds; with ``min_version``, once its ``version`` reaches it (else 503).

    When the row is missing or behind, ``written_version`` (see ``written``) is asked once: an aggregate
    the event store does not have is None at once (404); one whose version is below ``min_version`` is
    503 at once, since no read model can show a version that was not written (the wait would be empty).
    """
    if min_version is None:
        return await read_now(container, query)
    deadline = time.monotonic() + min(wait_ms, MAX_WAIT_MS) / 1000
    asked = False
    while True:
        row = await read_now(container, query)
        if row is not None and row["version"] >= min_version:
            return row
        give_up = time.monotonic() >= deadline
        if written_version is not None and not asked:
            asked = True
            version = await run_in_threadpool(written_version)
            if version is None:
                return None
            give_up = give_up or version < min_version
        if give_up:
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
