"""The clean-up that moves finished sessions and events to "Ended" (spec §6.9, Odoo's autovacuum).

Candidates come from the read models; each one's command re-checks on the write side that it is
finished (``date_end < at``) and not in a pipe-end stage, so "Cancelled" is left alone and a repeat
does nothing.  A session event without active sessions is never ended (Q13).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg import Cursor
from psycopg_pool import ConnectionPool

from consumers.periodic import PeriodicJob, read_model
from domain.eventsessions.stages import STAGES
from domain.shared.clock import Clock

PIPE_END = [s.id for s in STAGES.values() if s.pipe_end]


@dataclass
class AutoEndReport:
    sessions: list[UUID]
    events: list[UUID]


def candidates(cur: Cursor[Any], at: datetime) -> tuple[list[UUID], list[UUID]]:
    cur.execute(
        "SELECT id FROM session_seats WHERE NOT deleted AND date_end < %s AND stage_id <> ALL(%s) ORDER BY date_end",
        (at, PIPE_END),
    )
    sessions = [r[0] for r in cur.fetchall()]
    cur.execute(
        "SELECT e.id FROM events e LEFT JOIN event_dates d ON d.event_id = e.id"
        " WHERE e.stage_id <> ALL(%(pipe_end)s) AND ((NOT e.use_sessions AND e.date_end < %(at)s)"
        " OR (e.use_sessions AND d.session_count > 0 AND d.date_end < %(at)s))",
        {"at": at, "pipe_end": PIPE_END},
    )
    return sessions, [r[0] for r in cur.fetchall()]


class AutoEnd(PeriodicJob):
    name = "auto_end"

    def __init__(self, app: Any, pool: ConnectionPool, schema: str, clock: Clock, interval_s: float = 300.0) -> None:
        super().__init__(interval_s)
        self.app = app
        self.pool = pool
        self.schema = schema
        self.clock = clock

    def tick(self) -> AutoEndReport:
        return self.run_at(self.clock.now())

    def run_at(self, at: datetime) -> AutoEndReport:
        sessions, events = read_model(self.pool, self.schema, lambda cur: candidates(cur, at))
        return AutoEndReport(
            sessions=[s for s in sessions if self.app.end_session_if_finished(s, at)],
            events=[e for e in events if self.app.end_event_if_finished(e, at)],
        )
