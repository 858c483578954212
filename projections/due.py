"""The due-notifications queue of every context, as one list.

Each context that sends notifications has a ``DueQuery`` over its own read model
(``projections/<context>/due.py``); ``projections.catalogue.DUE_QUERIES`` lists them.  The HTTP
queue (``GET /notifications/due``) and the dispatcher read the same rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from psycopg import Cursor


@dataclass(frozen=True)
class DueItem:
    """One thing that should be sent at or before an instant and has not been."""

    id: str  # stable: the same item keeps its id until it is sent
    kind: str  # e.g. "eventsessions.mail.before_event", "live_session_reminder"
    context: str
    due_at: datetime
    template: str
    subject_id: UUID
    recipients: list[dict[str, Any]]
    #: Context fields shown beside the common ones (``event_id``, ``session_id``, ...).
    details: dict[str, Any] = field(default_factory=dict)
    #: What the context's sender needs to record it as sent (not shown).
    ref: dict[str, Any] = field(default_factory=dict)


class DueQuery(Protocol):
    context: str

    def due(self, cur: Cursor[Any], at: datetime, limit: int) -> list[DueItem]:
        """The context's due items as of ``at``, oldest first, at most ``limit``."""
        ...


def all_due(cur: Cursor[Any], queries: tuple[DueQuery, ...], at: datetime, limit: int) -> list[DueItem]:
    """Every context's due items, oldest first (ties by context and id), at most ``limit``."""
    items = [item for query in queries for item in query.due(cur, at, limit)]
    items.sort(key=lambda i: (i.due_at, i.context, i.id))
    return items[:limit]
