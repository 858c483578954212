"""The notification dispatcher: the due rows of every context's read model -> "sent" commands.

Each due item becomes a command on the aggregate that owns it (through its context's ``Sender``); the
command re-checks on the write side that it is still due and not sent, records it, and the relay
publishes that record on ``notifications.outgoing.v1``.  Two dispatchers racing for one item conflict
on the owner's version: one records it, the other then finds it sent and does nothing.  So nothing is
sent twice, and a crash between the read and the command only delays a notification to the next tick.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from psycopg_pool import ConnectionPool

from consumers.periodic import PeriodicJob, read_model
from domain.shared.clock import Clock
from projections.due import DueItem, DueQuery, all_due

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SendResult:
    """What a send command did: ``sent`` is False when there was nothing (left) to send."""

    item_id: str
    sent: bool
    reason: str = ""


class Sender(Protocol):
    def send(self, item: DueItem, at: datetime) -> SendResult: ...


@dataclass
class DispatchReport:
    due: int = 0
    sent: list[SendResult] = field(default_factory=list)
    skipped: list[SendResult] = field(default_factory=list)


class Dispatcher(PeriodicJob):
    name = "dispatcher"

    def __init__(
        self,
        queries: tuple[DueQuery, ...],
        senders: Mapping[str, Sender],
        pool: ConnectionPool,
        schema: str,
        clock: Clock,
        interval_s: float = 1.0,
        batch: int = 1000,
    ) -> None:
        super().__init__(interval_s)
        self.queries = queries
        self.senders = senders
        self.pool = pool
        self.schema = schema
        self.clock = clock
        self.batch = batch
        self.sent_total = 0

    def tick(self) -> DispatchReport:
        return self.dispatch(self.clock.now())

    def dispatch(self, at: datetime) -> DispatchReport:
        """Records every notification due at ``at`` as sent (those still due on the write side)."""
        items = read_model(self.pool, self.schema, lambda cur: all_due(cur, self.queries, at, self.batch))
        report = DispatchReport(due=len(items))
        for item in items:
            result = self.senders[item.context].send(item, at)
            (report.sent if result.sent else report.skipped).append(result)
        self.sent_total += len(report.sent)
        if report.sent:
            log.info("notifications sent", extra={"sent": len(report.sent), "skipped": len(report.skipped)})
        return report
