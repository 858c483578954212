"""The music clock (A.4, A.5, A.8): auto-create, then the active-window pass, on ``14,29,44,59 * * * *``.

``MusicClock`` is a worker of ``sessionstream run``: it asks the injected clock every ``poll_s`` and,
once the clock has reached the next scheduled minute (second 0 of minutes 14, 29, 44 and 59 of every
hour, UTC — every 15 minutes, one minute before each quarter hour), runs one tick at the clock's
instant.  A tick that was missed (the process was down or asleep) is run once, late, and the schedule
goes on from there; cron does not catch up either.  ``sessionstream music tick --at`` runs the same
tick once.

Per-session errors are collected by the application and logged; the run goes on (A.8).  A failure of
the whole tick (the database unreachable) is logged by ``PeriodicJob`` and the next scheduled tick runs
as usual.  Two service instances firing at once never create an occurrence twice (MU-22).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from consumers.periodic import PeriodicJob
from domain.music.application import MusicSessions, TickResult
from domain.shared.clock import Clock

log = logging.getLogger(__name__)

#: A.8: the minutes of every hour at which the cron job ``14,29,44,59 * * * *`` fires.
CRON_MINUTES = (14, 29, 44, 59)


def next_fire(at_or_after: datetime, minutes: tuple[int, ...] = CRON_MINUTES) -> datetime:
    """The first scheduled instant at or after ``at_or_after`` (second 0 of one of ``minutes``)."""
    fire = at_or_after.replace(second=0, microsecond=0)
    if fire < at_or_after:
        fire += timedelta(minutes=1)
    while fire.minute not in minutes:
        fire += timedelta(minutes=1)
    return fire


def tick_report(result: TickResult) -> dict[str, Any]:
    """A tick as JSON: A.4's ``auto_created`` and ``errors``, then what the active window changed."""
    return {
        "at": result.at.isoformat().replace("+00:00", "Z"),
        **result.auto_create.as_dict(),
        "active_window": {
            "activated": [str(i) for i in result.active_window.activated],
            "deactivated": [str(i) for i in result.active_window.deactivated],
            "errors": [{"session_id": str(e.session_id), "error": e.error} for e in result.active_window.errors],
        },
    }


class MusicClock(PeriodicJob):
    name = "music:clock"

    def __init__(self, app: MusicSessions, clock: Clock, poll_s: float = 1.0) -> None:
        super().__init__(poll_s)
        self.app = app
        self.clock = clock
        self.next_at: datetime | None = None
        self.last: TickResult | None = None

    def tick(self) -> TickResult | None:
        """Runs the music tick when the schedule is due (else nothing); returns what it did."""
        now = self.clock.now()
        if self.next_at is None:
            self.next_at = next_fire(now)
        if now < self.next_at:
            return None
        self.next_at = next_fire(now + timedelta(seconds=1))  # a failing tick is not retried before then
        result = self.app.tick(now)
        self.last = result
        errors = [*result.auto_create.errors, *result.active_window.errors]
        log.info(
            "music tick",
            extra={"at": now.isoformat(),
                   "instances_created": sum(r.instances_created for r in result.auto_create.auto_created),
                   "activated": len(result.active_window.activated),
                   "deactivated": len(result.active_window.deactivated), "errors": len(errors)},
        )  # fmt: skip
        for error in errors:
            log.warning(
                "music tick: a session failed", extra={"session_id": str(error.session_id), "error": error.error}
            )
        return result
