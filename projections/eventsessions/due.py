"""Event-session mails due for sending, from the ``mail_schedulers`` read model."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from psycopg import Cursor

from projections.due import DueItem
from projections.eventsessions import mail_schedulers


class EventSessionsDue:
    context = "eventsessions"

    def due(self, cur: Cursor[Any], at: datetime, limit: int) -> list[DueItem]:
        return [
            DueItem(
                id=str(r["schedule_id"]) + (f":{r['registration_id']}" if r["registration_id"] else ""),
                kind=f"eventsessions.mail.{r['interval_type']}",
                context=self.context,
                due_at=r["due_at"],
                template=r["template"],
                subject_id=r["subject_id"],
                recipients=r["recipients"],
                details={"event_id": r["event_id"], "session_id": r["session_id"]},
                ref={"schedule_id": r["schedule_id"], "registration_id": r["registration_id"]},
            )
            for r in mail_schedulers.due(cur, at, limit)
        ]
