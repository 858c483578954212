"""What the music routers share: the application, waiting for a version of an aggregate, output types."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import date, datetime
from datetime import time as clock_time
from typing import Annotated, Any, TypeVar
from uuid import UUID

from fastapi import Depends, Query, Request
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from domain.music.application import MusicSessions, Outcome
from domain.music.errors import invalid
from domain.music.patterns import parse_time
from domain.music.schedule import instance_span
from infra.api.context import DEFAULT_WAIT_MS, MAX_WAIT_MS, POLL_INTERVAL_S, CommandResult
from infra.api.instants import UtcInstant
from infra.api.problems import ReadModelBehindError
from infra.container import Container

T = TypeVar("T")
#: The longest date range one request may expand or list (ten years).
MAX_RANGE_DAYS = 3660


def get_music(request: Request) -> MusicSessions:
    container: Container = request.app.state.container
    return container.music


MusicDep = Annotated[MusicSessions, Depends(get_music)]
FromDate = Annotated[date | None, Query(alias="from", description="First local date (YYYY-MM-DD), inclusive.")]
ToDate = Annotated[date | None, Query(alias="to", description="Last local date (YYYY-MM-DD), inclusive.")]


def check_range(start: date | None, end: date | None, *, required: bool = False) -> None:
    """``from``..``to``: both given when ``required``, in order, at most ``MAX_RANGE_DAYS`` apart."""
    if required and (start is None or end is None):
        raise invalid("from" if start is None else "to", "from and to are required (YYYY-MM-DD).", "range.required")
    if start is not None and end is not None:
        if end < start:
            raise invalid("to", "to must not be before from.", "range.invalid")
        if (end - start).days > MAX_RANGE_DAYS:
            raise invalid("to", f"The range may span at most {MAX_RANGE_DAYS} days.", "range.too_long")


async def at_version(
    load: Callable[[], T], version_of: Callable[[T], int], min_version: int | None, wait_ms: int = DEFAULT_WAIT_MS
) -> T:
    """``load()`` off the event loop; with ``min_version``, polled until its version reaches it (else 503).
    The aggregates answer every version a command has returned at once; only a version still to come waits."""
    deadline = time.monotonic() + min(wait_ms, MAX_WAIT_MS) / 1000
    while True:
        found = await run_in_threadpool(load)
        if min_version is None or version_of(found) >= min_version:
            return found
        if time.monotonic() >= deadline:
            raise ReadModelBehindError(f"Version {min_version} has not been recorded yet; retry shortly.")
        await asyncio.sleep(POLL_INTERVAL_S)


def result(outcome: Outcome) -> CommandResult:
    return CommandResult(id=outcome.id, version=outcome.version)


def span(day: date, start_time: str | None, end_time: str | None, tz: str) -> tuple[datetime | None, datetime | None]:
    """UTC start and end of a dated local span (A.2.4: end before start is the next day), or Nones."""
    start, end = parse_time(start_time), parse_time(end_time)
    if start is None or end is None:
        return None, None
    return instance_span(day, start, end, tz)


def hhmm(value: clock_time | None) -> str | None:
    return f"{value:%H:%M}" if value is not None else None


class InstanceOut(BaseModel):
    """One instance: local ``date`` and ``HH:MM`` times in the session's zone, ``start``/``end`` in UTC."""

    id: UUID
    version: int
    session_id: UUID
    date: date
    start_time: str | None
    end_time: str | None
    start: UtcInstant | None
    end: UtcInstant | None
    location_override: str | None
    comments: str | None
    is_cancelled: bool
    is_active: bool
    log_complete_date: UtcInstant | None
    created_by: str | None
    auto_created: bool


def instance_out(values: Any, tz: str) -> InstanceOut:
    """From the write side's ``InstanceView`` or a ``music_instances`` row (a mapping)."""
    get = values.get if isinstance(values, dict) else lambda name: getattr(values, name)
    start, end = span(get("date"), get("start_time"), get("end_time"), tz)
    return InstanceOut(
        id=get("id"), version=get("version"), session_id=get("session_id"), date=get("date"),
        start_time=get("start_time"), end_time=get("end_time"), start=start, end=end,
        location_override=get("location_override"), comments=get("comments"), is_cancelled=get("is_cancelled"),
        is_active=get("is_active"), log_complete_date=get("log_complete_date"), created_by=get("created_by"),
        auto_created=get("auto_created"),
    )  # fmt: skip
