"""1. Commands per second (``EventSessions.register``) and the raw cost of one ``app.save()``."""

from __future__ import annotations

import threading
import time
from functools import partial

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event

from domain.eventsessions.application import EventSessions
from infra.bench.support import new_session_event, register, start_thread
from infra.postgres import eventstore_env


class BenchRaw(Application):
    """A separate application (its own events table, ``benchraw_events``) in the same database."""

    name = "BenchRaw"


class Tick(Aggregate):
    @event("Created")
    def __init__(self, n: int) -> None:
        self.n = n


def commands_rate(app: EventSessions, threads: int, seconds: float, *, same_session: bool) -> tuple[float, int]:
    """Registrations per second with ``threads`` threads; returns (rate, commands)."""
    event_id, session_ids = new_session_event(app, 1 if same_session else threads, f"bench {threads}t")
    for i in range(20):  # warm-up: imports, prepared statements, the aggregate cache
        register(app, event_id, session_ids[0], -i)
    counts = [0] * threads
    barrier = threading.Barrier(threads + 1)
    stop_at: list[float] = []

    def work(t: int) -> None:
        session_id = session_ids[0 if same_session else t]
        barrier.wait()
        n = 0
        while time.perf_counter() < stop_at[0]:
            register(app, event_id, session_id, t * 1_000_000 + n)
            n += 1
        counts[t] = n

    workers = [start_thread(partial(work, t), f"bench-cmd-{t}") for t in range(threads)]
    started = time.perf_counter()
    stop_at.append(started + seconds)
    barrier.wait()
    for w in workers:
        w.join()
    elapsed = time.perf_counter() - started
    return sum(counts) / elapsed, sum(counts)


def raw_save_rate(database_url: str, seconds: float) -> tuple[float, int]:
    app = BenchRaw(env=eventstore_env(database_url))
    try:
        for i in range(20):
            app.save(Tick(n=-i))
        n = 0
        started = time.perf_counter()
        stop_at = started + seconds
        while time.perf_counter() < stop_at:
            app.save(Tick(n=n))
            n += 1
        return n / (time.perf_counter() - started), n
    finally:
        app.close()
