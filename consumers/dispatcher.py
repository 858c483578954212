"""The notification dispatcher: due rows of the ``mail_schedulers`` read model -> "sent" commands.

Each due row becomes a command on the copy that owns it; the command re-checks on the write side that
the mail is still due and not sent, records it, and the relay publishes that record on
``notifications.outgoing.v1``.  Two dispatchers racing for one row conflict on the copy's version: one
records it, the other then finds it sent and does nothing.  So nothing is sent twice, and a crash
between the read and the command only delays a mail until the next tick.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from psycopg_pool import ConnectionPool

from consumers.periodic import PeriodicJob, read_model
from domain.eventsessions.mailing import Dispatch
from domain.shared.clock import Clock
from projections.eventsessions import mail_schedulers

log = logging.getLogger(__name__)


@dataclass
class DispatchReport:
    due: int = 0
    sent: list[Dispatch] = field(default_factory=list)
    skipped: list[Dispatch] = field(default_factory=list)


class Dispatcher(PeriodicJob):
    name = "dispatcher"

    def __init__(self, app: Any, pool: ConnectionPool, schema: str, clock: Clock, interval_s: float = 1.0) -> None:
        super().__init__(interval_s)
        self.app = app
        self.pool = pool
        self.schema = schema
        self.clock = clock
        self.sent_total = 0

    def tick(self) -> DispatchReport:
        return self.dispatch(self.clock.now())

    def dispatch(self, at: datetime) -> DispatchReport:
        """Records every notification due at ``at`` as sent (those still due on the write side)."""
        rows = read_model(self.pool, self.schema, lambda cur: mail_schedulers.due(cur, at))
        report = DispatchReport(due=len(rows))
        for row in rows:
            if row["registration_id"] is not None:
                result = self.app.send_attendee_mail(row["schedule_id"], row["registration_id"], at)
            else:
                result = self.app.send_scheduled_mail(row["schedule_id"], at)
            (report.sent if result.sent else report.skipped).append(result)
        self.sent_total += len(report.sent)
        if report.sent:
            log.info("notifications sent", extra={"sent": len(report.sent), "skipped": len(report.skipped)})
        return report
