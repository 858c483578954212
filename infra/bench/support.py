"""What every part of the benchmark uses: its sizes, a fresh database and topic prefix, small helpers,
and filling the event store fast with the domain's own aggregates."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlparse, urlunparse
from uuid import UUID, uuid4

import psycopg
from psycopg import sql

from domain.eventsessions.application import EventSessions
from domain.eventsessions.registration import Registration
from domain.eventsessions.seats import RegistrationState
from domain.shared.application import fingerprint


@dataclass(frozen=True)
class Sizes:
    command_seconds: float
    same_session_seconds: float
    raw_save_seconds: float
    store_events: int  # the event store is filled up to this many events before the relay runs
    stock_events: int  # session events the stock runner is timed on
    lag_seconds: float
    lag_rate: float  # registrations per second
    lag_sessions: int = 50
    lag_issuers: int = 4  # each issues one command at a time: more of them keep the rate when commands slow

    @classmethod
    def full(cls) -> Sizes:
        return cls(5.0, 3.0, 3.0, 50_000, 10_000, 15.0, 200.0)

    @classmethod
    def large(cls) -> Sizes:
        """The full run on a 1,000,000-event store: the audit's rebuild figures at the issue's size."""
        return dataclasses.replace(cls.full(), store_events=1_000_000)

    @classmethod
    def quick(cls) -> Sizes:
        return cls(2.0, 1.0, 1.5, 10_000, 2_000, 5.0, 200.0)


# -- a fresh database and topic prefix ---------------------------------------------------------------


def _with_dbname(url: str, dbname: str) -> str:
    parts = urlparse(url)
    return urlunparse(parts._replace(path="/" + dbname))


def create_database(server_url: str, name: str) -> str:
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return _with_dbname(server_url, name)


def drop_database(server_url: str, name: str) -> None:
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def delete_topics(bootstrap: str, prefix: str) -> None:
    from kafka import KafkaAdminClient

    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="sessionstream-bench-admin")
    try:
        mine = [t for t in admin.list_topics() if t.startswith(prefix)]
        if mine:
            admin.delete_topics(mine)
    finally:
        admin.close()


# -- small helpers -----------------------------------------------------------------------------------


def percentile(values: list[float], p: float) -> float:
    """Linear interpolation between closest ranks (as numpy's default)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def wait_until(
    condition: Callable[[], bool],
    timeout: float,
    interval: float = 0.002,
    what: str = "",
) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout}s waiting for {what or condition}")
        time.sleep(interval)


def start_thread(target: Callable[[], Any], name: str) -> threading.Thread:
    thread = threading.Thread(target=target, name=name, daemon=True)
    thread.start()
    return thread


def new_session_event(app: EventSessions, sessions: int, name: str) -> tuple[UUID, list[UUID]]:
    """A parent event with sessions and unlimited seats; returns its id and its sessions' ids."""
    event_id = app.create_event(name=name, use_sessions=True, seats_limited=False).id
    begin = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=30)
    session_ids = [
        app.add_session(
            event_id,
            date_begin=begin + timedelta(hours=i),
            date_end=begin + timedelta(hours=i, minutes=45),
        ).id
        for i in range(sessions)
    ]
    return event_id, session_ids


def register(app: EventSessions, event_id: UUID, session_id: UUID, i: int) -> None:
    app.register(
        event_id=event_id,
        session_id=session_id,
        name=f"Bench {i}",
        email=f"b{i}@example.org",
        state="open",
    )


def settle_store(database_url: str, events_table: str) -> None:
    """After a fill: the events table vacuumed (hint bits and visibility map set) and a checkpoint taken.
    Otherwise the first part to read the fresh rows (the relay, the sealer) writes them all again to set
    their hint bits, beside the checkpoints the fill's WAL started: on a 1,000,000-event store that cost
    the sealer three quarters of its rate.  A running service reads each event soon after its commit,
    never a million unread ones at once."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(sql.SQL("VACUUM (ANALYZE) {}").format(sql.Identifier(events_table)))
        conn.execute("CHECKPOINT")


def fill_store(
    app: EventSessions,
    target_events: int,
    *,
    events: int = 20,
    sessions_per_event: int = 5,
) -> int:
    """Adds registrations (each: Registered + the session's SeatsChanged) until the store holds
    ``target_events`` events.  The aggregates are the domain's own, changed by the same methods
    ``register`` uses, but 100 registrations are saved per ``save()`` to make filling fast."""
    sessions: list[tuple[Any, Any]] = []
    for e in range(events):
        event_id, session_ids = new_session_event(app, sessions_per_event, f"bench fill {e}")
        parent = app.get_event(event_id)
        sessions += [(parent, app.get_session(s)) for s in session_ids]
    have = app.recorder.max_notification_id() or 0
    now = app.clock.now()
    per_save = 100
    i = 0
    while have < target_events:
        parent, session = sessions[i % len(sessions)]
        n = min(per_save, max(1, (target_events - have) // 2))
        touched: list[Any] = [session]
        for k in range(n):
            rid = uuid4()
            name, email = f"Fill {i}.{k}", f"f{i}.{k}@example.org"
            registration = Registration(
                id=rid,
                event_id=parent.id,
                session_id=session.id,
                name=name,
                email=email,
                phone=None,
                state="open",
                created_at=now,
                fingerprint=fingerprint(
                    {
                        "event_id": parent.id,
                        "session_id": session.id,
                        "name": name,
                        "email": email,
                        "phone": None,
                        "state": "open",
                    }
                ),
            )
            session.count_registration(rid, None, RegistrationState.OPEN, event_name=parent.name, arriving=True)
            touched.append(registration)
        if not parent.has_registrations:
            parent.note_registration()
            touched.append(parent)
        app.save(*touched)
        have = app.recorder.max_notification_id() or 0
        i += 1
    return have
