"""One aggregate's history, of any context: its stored events, and its state at a version or an instant.

Every context writes to the one event store, so an aggregate is found by its id alone.  Events are
read from the events table (snapshots live in their own table: they are never history) and decoded
with the application's mapper, upcasters included, so ``data`` shows the event's fields as the code
knows them today.  ``type`` is the stable dotted name (``producers.registry.type_name``).

State at an instant: the aggregate's stored timestamps resolve the instant to the last version
stamped at or before it; eventsourcing's versioned retrieval (``repository.get(id, version=N)``,
which starts from a snapshot at or below N when there is one) rebuilds it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from decimal import Decimal
from enum import Enum
from functools import lru_cache
from typing import Any
from uuid import UUID

from eventsourcing.utils import resolve_topic
from psycopg import sql
from psycopg.rows import tuple_row

from domain.shared.errors import NotFoundError
from infra.audit.log import timestamp_of
from producers.audit import stored_timestamp
from producers.registry import type_name
from producers.relay import Row

ENVELOPE = frozenset({"originator_id", "originator_version", "timestamp", "originator_topic"})


class AuditNotFoundError(NotFoundError):
    code = "audit.not_found"


class NotYetError(NotFoundError):
    """The instant asked for is before the aggregate's first event."""

    code = "audit.not_yet"


@dataclass(frozen=True)
class Described:
    context: str
    aggregate_type: str
    type: str


@lru_cache(maxsize=4096)
def describe(topic: str) -> Described:
    """Context, aggregate and dotted type of a stored event's topic (the topic itself if no class has it)."""
    try:
        name = type_name(resolve_topic(topic))
    except Exception:  # noqa: BLE001 - a topic no code knows any more is still shown
        return Described("", topic.split(":")[-1].split(".")[0], topic)
    context, aggregate, _ = name.split(".", 2)
    return Described(context, aggregate, name)


def iso_z(value: datetime) -> str:
    return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def jsonable(value: Any) -> Any:
    """An event's or aggregate's value as JSON: ids as strings, instants in UTC with ``Z``."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [jsonable(v) for v in value]
        return sorted(items, key=json.dumps) if isinstance(value, (set, frozenset)) else items
    if isinstance(value, datetime):
        return iso_z(value) if value.tzinfo else value.isoformat()
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, Enum):
        return jsonable(value.value)
    if isinstance(value, (UUID, Decimal)):
        return str(value)
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def event_data(event: Any) -> dict[str, Any]:
    """The event's own fields (not its envelope: id, version, timestamp)."""
    return {k: jsonable(v) for k, v in vars(event).items() if k not in ENVELOPE and not k.startswith("_")}


@dataclass(frozen=True)
class Page:
    aggregate_id: UUID
    described: Described
    events: list[dict[str, Any]]
    more: bool


class History:
    """Reads one aggregate's events from the shared store (``app`` is any context's application)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        recorder = app.recorder
        self.datastore = recorder.datastore
        self.table = sql.Identifier(recorder.datastore.schema, recorder.events_table_name)

    def _rows(self, statement: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        with self.datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row, binary=True) as cur:
            cur.execute(sql.SQL(statement).format(self.table), params)  # type: ignore[arg-type]
            return cur.fetchall()

    def events(self, aggregate_id: UUID, from_version: int = 1, limit: int = 100) -> Page:
        rows = self._rows(
            "SELECT notification_id, originator_id, originator_version, topic, state FROM {} WHERE originator_id = %s"
            " AND originator_version >= %s ORDER BY originator_version LIMIT %s",
            (aggregate_id, from_version, limit + 1),
        )
        if not rows:
            first = self._rows("SELECT topic FROM {} WHERE originator_id = %s LIMIT 1", (aggregate_id,))
            if not first:
                raise AuditNotFoundError(f"Aggregate {aggregate_id} not found.")
            return Page(aggregate_id, describe(first[0][0]), [], False)
        out = []
        for r in rows[:limit]:
            event = self.app.mapper.to_domain_event(Row(r[0], r[1], r[2], r[3], bytes(r[4])))
            out.append({
                "version": r[2], "type": describe(r[3]).type, "occurred_at": iso_z(event.timestamp),
                "position": r[0], "data": event_data(event),
            })  # fmt: skip
        return Page(aggregate_id, describe(rows[0][3]), out, len(rows) > limit)

    def timeline(self, aggregate_id: UUID) -> tuple[Described, list[tuple[int, datetime]]]:
        """The aggregate's (version, timestamp) pairs, oldest first (``AuditNotFoundError`` if none)."""
        rows = self._rows(
            "SELECT originator_version, topic, substring(state from 1 for 120) FROM {} WHERE originator_id = %s"
            " ORDER BY originator_version",
            (aggregate_id,),
        )
        if not rows:
            raise AuditNotFoundError(f"Aggregate {aggregate_id} not found.")
        pairs: list[tuple[int, datetime]] = []
        for version, _topic, head in rows:
            text = stored_timestamp(bytes(head))
            if not text:  # not where eventsourcing puts it: read the whole state
                whole = self._rows("SELECT state FROM {} WHERE originator_id = %s AND originator_version = %s",
                                   (aggregate_id, version))  # fmt: skip
                pairs.append((version, timestamp_of(bytes(whole[0][0]))))
            else:
                pairs.append((version, datetime.fromisoformat(text.decode())))
        return describe(rows[0][1]), pairs


def version_at(timeline: list[tuple[int, datetime]], at: datetime) -> int | None:
    """The last version stamped at or before ``at`` (None: the aggregate did not exist yet)."""
    found = None
    for version, stamped in timeline:
        if stamped <= at:
            found = version
        else:
            break
    return found


@dataclass(frozen=True)
class AsOf:
    aggregate: Any
    described: Described
    version: int
    as_of: datetime
    related: Callable[[UUID], Any]


def state_as_of(apps: dict[str, Any], aggregate_id: UUID, *, at: datetime | None, version: int | None) -> AsOf:
    """The aggregate at ``version``, or at the last version stamped at or before ``at`` (the latest
    without either); ``related(id)`` gives any other aggregate as of the same instant."""
    app = next(iter(apps.values()))
    history = History(app)
    described, timeline = history.timeline(aggregate_id)
    if at is not None:
        chosen = version_at(timeline, at)
        if chosen is None:
            raise NotYetError(f"Aggregate {aggregate_id} did not exist yet at {iso_z(at)}.")
        as_of = at
    else:
        chosen = timeline[-1][0] if version is None else version
        if chosen > timeline[-1][0]:
            raise AuditNotFoundError(f"Aggregate {aggregate_id} has no version {chosen} (latest: {timeline[-1][0]}).")
        as_of = dict(timeline)[chosen]
    repository = apps.get(described.context, app).repository
    aggregate = repository.get(aggregate_id, version=chosen)

    def related(other: UUID) -> Any:
        try:
            other_described, other_timeline = history.timeline(other)
        except AuditNotFoundError:
            return None
        other_version = version_at(other_timeline, as_of)
        if other_version is None:
            return None
        return apps.get(other_described.context, app).repository.get(other, version=other_version)

    return AsOf(aggregate, described, chosen, as_of, related)
