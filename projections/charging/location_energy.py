"""Read model ``location_energy``: the energy charged at a location per hour or day, and the number of
sessions active in each bucket, for ``GET /charging/locations/{location_id}/energy`` (CH-26).

The tables keep, per session, where and when it ran and, per charging period, when it started and its
energy (the sum of its ``ENERGY`` dimensions, kWh).  Buckets are computed when a query is served
(``energy_buckets``), because a period's end is known only once the next period or the session's end
arrives:
- a period lasts until the next period starts; the last one until the session ends, i.e. its
  ``end_date_time`` or, while it has none, its ``last_updated`` (the latest instant the operator
  reported on);
- a period's energy is spread evenly over its duration; a period without duration (the latest one
  of a running session usually starts at its ``last_updated``) puts its energy in its start's bucket;
- a session is active in a bucket when its span (``start_date_time`` to its end as above) overlaps it;
- buckets are UTC hours or UTC days.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from uuid import UUID

from psycopg import Cursor

from producers.charging import messages as v1
from producers.charging import topics
from projections.base import Row, fold
from projections.migrations import Migration

COLUMNS = ("aggregate_id", "version", "location_key", "started_at", "ended_at", "last_updated", "period_count")
BUCKETS = {"hour": timedelta(hours=1), "day": timedelta(days=1)}
#: The most buckets one query may ask for.
MAX_BUCKETS = 5000


class LocationEnergyProjection:
    name = "location_energy"
    topics = (topics.SESSIONS,)
    tables = ("charging_energy_sessions", "charging_energy_periods")
    migrations = (
        Migration(
            "0001_create",
            """
    CREATE TABLE IF NOT EXISTS charging_energy_sessions (
        aggregate_id uuid PRIMARY KEY,
        version integer NOT NULL,
        location_key text NOT NULL,
        started_at timestamptz NOT NULL,
        ended_at timestamptz,
        last_updated timestamptz NOT NULL,
        period_count integer NOT NULL
    );
    CREATE INDEX IF NOT EXISTS charging_energy_sessions_location_idx
        ON charging_energy_sessions (location_key, started_at);
    CREATE TABLE IF NOT EXISTS charging_energy_periods (
        aggregate_id uuid NOT NULL,
        position integer NOT NULL,
        starts_at timestamptz NOT NULL,
        energy_kwh numeric NOT NULL,
        PRIMARY KEY (aggregate_id, position)
    );
    """,
        ),
    )

    def apply(self, cur: Cursor[Any], messages: Sequence[v1.Message]) -> None:
        cleared: set[UUID] = set()
        periods: dict[tuple[UUID, int], tuple[datetime, Decimal]] = {}

        def add(aggregate_id: UUID, first: int, new: list[dict[str, Any]]) -> None:
            for offset, period in enumerate(new):
                periods[(aggregate_id, first + offset)] = (_instant(period["start_date_time"]), period_energy(period))

        def apply_one(row: Row | None, m: Any) -> Row | None:
            if isinstance(m, (v1.SessionCreated, v1.SessionReplaced)):
                cleared.add(m.aggregate_id)
                for key in [k for k in periods if k[0] == m.aggregate_id]:
                    del periods[key]
                new = m.session.get("charging_periods", [])
                add(m.aggregate_id, 0, new)
                return {"aggregate_id": m.aggregate_id, "version": m.version, "period_count": len(new),
                        **_spans(m.session)}  # fmt: skip
            if row is None:
                return None
            row = dict(row, version=m.version)
            if isinstance(m, v1.SessionFieldsPatched):
                row.update(_spans(m.changes, row))
            elif isinstance(m, v1.SessionPeriodsAppended):
                add(m.aggregate_id, m.period_count - len(m.charging_periods), m.charging_periods)
                row["period_count"] = m.period_count
            return row

        fold(cur, "charging_energy_sessions", "aggregate_id", COLUMNS, messages, lambda m: m.aggregate_id, apply_one)
        if cleared:
            cur.execute("DELETE FROM charging_energy_periods WHERE aggregate_id = ANY(%s)", (list(cleared),))
        if periods:
            cur.executemany(
                "INSERT INTO charging_energy_periods (aggregate_id, position, starts_at, energy_kwh)"
                " VALUES (%s, %s, %s, %s) ON CONFLICT (aggregate_id, position)"
                " DO UPDATE SET starts_at = EXCLUDED.starts_at, energy_kwh = EXCLUDED.energy_kwh",
                [(aid, position, start, energy) for (aid, position), (start, energy) in periods.items()],
            )


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text)


def period_energy(period: dict[str, Any]) -> Decimal:
    """The sum of a period's ``ENERGY`` dimensions, in kWh (0 when it has none)."""
    return sum((Decimal(str(d["volume"])) for d in period["dimensions"] if d["type"] == "ENERGY"), Decimal(0))


def _spans(fields: dict[str, Any], row: Row | None = None) -> dict[str, Any]:
    """The columns a whole session (``row`` None) or a PATCH's changes set."""
    out: dict[str, Any] = {}
    if row is None or "location_id" in fields:
        out["location_key"] = fields["location_id"].lower()
    if row is None or "start_date_time" in fields:
        out["started_at"] = _instant(fields["start_date_time"])
    if row is None or "end_date_time" in fields:
        end = fields.get("end_date_time")
        out["ended_at"] = _instant(end) if end is not None else None
    if row is None or "last_updated" in fields:
        out["last_updated"] = _instant(fields["last_updated"])
    return out


# -- queries ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SessionSpan:
    started_at: datetime
    end: datetime  # ``end_date_time``, else ``last_updated``
    periods: list[tuple[datetime, Decimal]]  # (start, kWh), in order


@dataclass(frozen=True)
class Bucket:
    start: datetime
    end: datetime
    kwh: Decimal
    sessions: int


def bucket_start(instant: datetime, size: timedelta) -> datetime:
    """The UTC hour or day ``instant`` falls in."""
    utc = instant.astimezone(timezone.utc)
    if size == BUCKETS["day"]:
        return utc.replace(hour=0, minute=0, second=0, microsecond=0)
    return utc.replace(minute=0, second=0, microsecond=0)


def energy_buckets(spans: Sequence[SessionSpan], start: datetime, end: datetime, size: timedelta) -> list[Bucket]:
    """The buckets from ``start``'s bucket up to ``end`` (exclusive), with each session's energy spread
    over its periods (see the module docstring) and the number of sessions active in each."""
    first = bucket_start(start, size)
    count = max(0, -((first - end) // size))
    starts = [first + i * size for i in range(count)]
    kwh = [Decimal(0)] * count
    active = [0] * count

    def index_of(instant: datetime) -> int:
        return (instant - first) // size

    micro = timedelta(microseconds=1)
    for span in spans:
        low = index_of(span.started_at)
        high = index_of(span.end - micro) if span.end > span.started_at else low
        for i in range(max(0, low), min(count, high + 1)):
            active[i] += 1
        for n, (period_start, energy) in enumerate(span.periods):
            period_end = span.periods[n + 1][0] if n + 1 < len(span.periods) else span.end
            _spread(energy, period_start, period_end, starts, size, kwh, index_of)
    return [Bucket(starts[i], starts[i] + size, kwh[i], active[i]) for i in range(count)]


def _spread(
    energy: Decimal, start: datetime, end: datetime, starts: list[datetime], size: timedelta, kwh: list[Decimal],
    index_of: Any,
) -> None:  # fmt: skip
    if not energy:
        return
    count = len(starts)
    if end <= start:
        i = index_of(start)
        if 0 <= i < count:
            kwh[i] += energy
        return
    duration = Decimal((end - start) / timedelta(microseconds=1))
    for i in range(max(0, index_of(start)), min(count, index_of(end - timedelta(microseconds=1)) + 1)):
        overlap = min(end, starts[i] + size) - max(start, starts[i])
        if overlap > timedelta(0):
            kwh[i] += energy * Decimal(overlap / timedelta(microseconds=1)) / duration


def location_spans(cur: Cursor[Any], location_id: str, start: datetime, end: datetime) -> list[SessionSpan]:
    """The sessions at the location whose span may touch ``[start, end)``, with their periods."""
    cur.execute(
        "SELECT aggregate_id, started_at, coalesce(ended_at, last_updated) FROM charging_energy_sessions"
        " WHERE location_key = %s AND started_at < %s AND coalesce(ended_at, last_updated) >= %s"
        " ORDER BY started_at, aggregate_id",
        (location_id.lower(), end, start),
    )
    sessions = cur.fetchall()
    periods: dict[UUID, list[tuple[datetime, Decimal]]] = {aid: [] for aid, _, _ in sessions}
    if sessions:
        cur.execute(
            "SELECT aggregate_id, starts_at, energy_kwh FROM charging_energy_periods WHERE aggregate_id = ANY(%s)"
            " ORDER BY aggregate_id, position",
            (list(periods),),
        )
        for aggregate_id, starts_at, energy in cur.fetchall():
            periods[aggregate_id].append((starts_at, energy))
    return [SessionSpan(started, max(stop, started), periods[aid]) for aid, started, stop in sessions]
