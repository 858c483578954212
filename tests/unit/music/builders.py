"""Keyword-only builders of music test data (domain values, unique paths)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any
from uuid import UUID, uuid4

from domain.music.application import MusicSessions

UTC = timezone.utc
NOW = datetime(2025, 6, 2, 12, tzinfo=UTC)  # a Monday
CHICAGO = "America/Chicago"
WEEKLY_THURSDAY = {"type": "weekly", "daysOfWeek": [4], "startTime": "21:00", "endTime": "23:30"}


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def new_session(app: MusicSessions, *, path: str | None = None, **values: Any) -> UUID:
    """A session in Chicago, weekly on Thursdays 21:00-23:30, unless told otherwise."""
    values.setdefault("timezone", CHICAGO)
    values.setdefault("recurrence", WEEKLY_THURSDAY)
    return app.create_session(name="The Cobblestone", path=path or f"cobblestone-{uuid4().hex[:8]}", **values).id
