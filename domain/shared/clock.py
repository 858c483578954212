"""Time is injected: every rule that depends on "now" asks a clock, and tests freeze it."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware UTC, whole seconds (the specs store second precision)."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(timezone.utc).replace(microsecond=0)


class FrozenClock:
    """A clock that only moves when told to (tests, the one-shot ``--at`` commands)."""

    def __init__(self, at: datetime) -> None:
        self._lock = threading.Lock()
        self._at = as_utc(at)

    def now(self) -> datetime:
        with self._lock:
            return self._at

    def set(self, at: datetime) -> None:
        with self._lock:
            self._at = as_utc(at)

    def advance(self, delta: timedelta) -> None:
        with self._lock:
            self._at = self._at + delta


def as_utc(value: datetime) -> datetime:
    """Naive datetimes mean UTC (Odoo's convention); aware ones are converted; seconds precision."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).replace(microsecond=0)
