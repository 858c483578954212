"""Read model ``music_popular_tunes``: how often each tune was played at each instance, for the
dashboard ``GET /music/sessions/{id}/tunes/popular?from=&to=`` (from ``music.instances.v1``).

- A tune is its thesession.org ``tune_id`` when the entry has one, else its name, case folded (so
  "the kesh" and "The Kesh" are one tune).  Bulk replace's placeholder "Unknown tune" is no tune.
- Only instances that took place count: a cancelled or deleted instance contributes nothing (its
  entries are kept, so un-cancelling restores them).
- ``music_tune_plays`` holds one row per (instance, tune) with the play count and the instance's
  session and local date; the dashboard sums them over a date range.  Each batch recomputes the rows of
  the instances it touches from the projection's own copy of their logs (``music_popular_entries``)
  and context (``music_popular_instances``): a renamed, relinked, removed or replaced entry, a
  rescheduled or cancelled instance, all move the counts with them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date
from typing import Any
from uuid import UUID

from psycopg import Cursor

from domain.music.errors import UNKNOWN_TUNE
from producers.music import messages as v1
from producers.music import topics
from projections.base import Row
from projections.migrations import Migration
from projections.music.log_state import TUNE_MESSAGES, Log, apply_to_log

INSTANCE_COLUMNS = ("instance_id", "session_id", "date", "is_cancelled", "deleted")
ENTRY_COLUMNS = ("entry_id", "instance_id", "tune_id", "name")
PLAY_COLUMNS = ("instance_id", "tune_key", "session_id", "date", "tune_id", "name", "plays")


class PopularTunesProjection:
    name = "music_popular_tunes"
    topics = (topics.INSTANCES,)
    tables = ("music_popular_instances", "music_popular_entries", "music_tune_plays")
    migrations = (
        Migration(
            "0001_create",
            """
    CREATE TABLE IF NOT EXISTS music_popular_instances (
        instance_id uuid PRIMARY KEY,
        session_id uuid NOT NULL,
        date date NOT NULL,
        is_cancelled boolean NOT NULL,
        deleted boolean NOT NULL
    );
    CREATE TABLE IF NOT EXISTS music_popular_entries (
        entry_id uuid PRIMARY KEY,
        instance_id uuid NOT NULL,
        tune_id integer,
        name text
    );
    CREATE INDEX IF NOT EXISTS music_popular_entries_instance_idx ON music_popular_entries (instance_id);
    CREATE TABLE IF NOT EXISTS music_tune_plays (
        instance_id uuid NOT NULL,
        tune_key text NOT NULL,
        session_id uuid NOT NULL,
        date date NOT NULL,
        tune_id integer,
        name text,
        plays integer NOT NULL,
        PRIMARY KEY (instance_id, tune_key)
    );
    CREATE INDEX IF NOT EXISTS music_tune_plays_session_idx ON music_tune_plays (session_id, date);
    """,
        ),
    )

    def apply(self, cur: Cursor[Any], messages: Sequence[v1.Message]) -> None:
        ids = list({m.aggregate_id for m in messages})
        instances, logs = _load(cur, ids)
        touched: set[UUID] = set()
        for m in messages:
            if _apply_instance(instances, m) or isinstance(m, TUNE_MESSAGES):
                apply_to_log(logs.setdefault(m.aggregate_id, {}), m)
                touched.add(m.aggregate_id)
        if touched:
            _store(cur, [instances[i] for i in touched if i in instances], {i: logs.get(i, {}) for i in touched})


def _apply_instance(instances: dict[UUID, Row], m: Any) -> bool:
    """The instance's context after ``m``; True when ``m`` changes what it contributes."""
    match m:
        case v1.InstanceCreated():
            instances[m.aggregate_id] = {
                "instance_id": m.aggregate_id, "session_id": m.session_id, "date": m.date,
                "is_cancelled": False, "deleted": False,
            }  # fmt: skip
        case v1.InstanceRescheduled() if m.aggregate_id in instances:
            instances[m.aggregate_id] = {**instances[m.aggregate_id], "date": m.date}
        case v1.InstanceCancelled() | v1.InstanceUncancelled() if m.aggregate_id in instances:
            instances[m.aggregate_id] = {
                **instances[m.aggregate_id],
                "is_cancelled": isinstance(m, v1.InstanceCancelled),
            }
        case v1.InstanceDeleted() if m.aggregate_id in instances:
            instances[m.aggregate_id] = {**instances[m.aggregate_id], "deleted": True}
        case _:
            return False
    return True


def _load(cur: Cursor[Any], ids: list[UUID]) -> tuple[dict[UUID, Row], dict[UUID, Log]]:
    cur.execute(
        f"SELECT {', '.join(INSTANCE_COLUMNS)} FROM music_popular_instances WHERE instance_id = ANY(%s)", (ids,)
    )
    instances = {r[0]: dict(zip(INSTANCE_COLUMNS, r, strict=True)) for r in cur.fetchall()}
    cur.execute(f"SELECT {', '.join(ENTRY_COLUMNS)} FROM music_popular_entries WHERE instance_id = ANY(%s)", (ids,))
    logs: dict[UUID, Log] = {}
    for row in cur.fetchall():
        entry = dict(zip(ENTRY_COLUMNS, row, strict=True))
        logs.setdefault(entry["instance_id"], {})[entry["entry_id"]] = entry
    return instances, logs


def tune_key(tune_id: int | None, name: str | None) -> str | None:
    """What makes two entries the same tune (None: an entry that names no tune)."""
    if tune_id is not None:
        return f"tune:{tune_id}"
    if name is None or name == UNKNOWN_TUNE:
        return None
    return f"name:{name.casefold()}"


def plays_of(instance: Row, log: Log) -> list[Row]:
    """The rows an instance contributes: one per tune, with how often it was played there."""
    if instance["is_cancelled"] or instance["deleted"]:
        return []
    counts: Counter[str] = Counter()
    names: dict[str, str] = {}
    tune_ids: dict[str, int | None] = {}
    for entry in log.values():
        key = tune_key(entry["tune_id"], entry["name"])
        if key is None:
            continue
        counts[key] += 1
        tune_ids[key] = entry["tune_id"]
        if entry["name"] is not None:
            names[key] = max(names.get(key, entry["name"]), entry["name"])  # deterministic among aliases
    return [
        {"instance_id": instance["instance_id"], "tune_key": key, "session_id": instance["session_id"],
         "date": instance["date"], "tune_id": tune_ids[key], "name": names.get(key), "plays": plays}
        for key, plays in counts.items()
    ]  # fmt: skip


def _store(cur: Cursor[Any], instances: list[Row], logs: dict[UUID, Log]) -> None:
    ids = list(logs)
    if instances:
        cur.executemany(
            f"INSERT INTO music_popular_instances ({', '.join(INSTANCE_COLUMNS)}) VALUES (%s, %s, %s, %s, %s)"
            " ON CONFLICT (instance_id) DO UPDATE SET date = EXCLUDED.date, is_cancelled = EXCLUDED.is_cancelled,"
            " deleted = EXCLUDED.deleted",
            [tuple(row[c] for c in INSTANCE_COLUMNS) for row in instances],
        )
    cur.execute("DELETE FROM music_popular_entries WHERE instance_id = ANY(%s)", (ids,))
    entries = [
        (e["entry_id"], instance_id, e["tune_id"], e["name"])
        for instance_id, log in logs.items() for e in log.values()
    ]  # fmt: skip
    if entries:
        cur.executemany(
            f"INSERT INTO music_popular_entries ({', '.join(ENTRY_COLUMNS)}) VALUES (%s, %s, %s, %s)", entries
        )
    cur.execute("DELETE FROM music_tune_plays WHERE instance_id = ANY(%s)", (ids,))
    plays = [row for instance in instances for row in plays_of(instance, logs.get(instance["instance_id"], {}))]
    if plays:
        cur.executemany(
            f"INSERT INTO music_tune_plays ({', '.join(PLAY_COLUMNS)}) VALUES (%s, %s, %s, %s, %s, %s, %s)",
            [tuple(row[c] for c in PLAY_COLUMNS) for row in plays],
        )


POPULAR_COLUMNS = ("tune_id", "name", "plays", "last_played", "instances")


def popular_tunes(
    cur: Cursor[Any], session_id: UUID, start: date | None = None, end: date | None = None, limit: int = 50
) -> list[Row]:
    """The session's tunes by play count (then the most recently played first, then name): how often each
    was played at instances dated ``start..end``, at how many instances, and the last such date."""
    cur.execute(
        "SELECT max(tune_id),"
        " (array_agg(name ORDER BY date DESC, name DESC) FILTER (WHERE name IS NOT NULL))[1] AS name,"
        " sum(plays)::integer AS plays, max(date) AS last_played, count(*)::integer AS instances"
        " FROM music_tune_plays WHERE session_id = %(s)s"
        " AND (%(a)s::date IS NULL OR date >= %(a)s) AND (%(b)s::date IS NULL OR date <= %(b)s)"
        " GROUP BY tune_key ORDER BY plays DESC, last_played DESC, name, tune_key LIMIT %(l)s",
        {"s": session_id, "a": start, "b": end, "l": limit},
    )
    return [dict(zip(POPULAR_COLUMNS, r, strict=True)) for r in cur.fetchall()]
