"""4. End-to-end lag: registrations at a steady rate from issuer processes, the relay processes and
the ``seat_availability`` runner as the service runs them, a poller noting when each became visible."""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import psycopg
from psycopg import sql

from domain.eventsessions.application import EventSessions
from infra.bench.catch_up import BatchLog
from infra.bench.relay import PublishLog
from infra.bench.support import (
    Sizes,
    new_session_event,
    percentile,
    register,
    start_thread,
    wait_until,
)
from infra.container import Container
from infra.postgres import eventstore_env
from infra.relays import RelayProcess
from infra.settings import PROJECT_ROOT, get_settings
from producers.catalogue import relay_scopes
from producers.eventsessions import topics as es_topics

# The registrations come from separate processes (``python -m infra.bench --issuer``, ``lag_issuers``
# of them, each at an equal share of the rate), so that issuing them does not compete for this
# process's GIL with the relay and the runner under test.  Times are ``time.monotonic()``
# (CLOCK_MONOTONIC on Linux), comparable across the processes of one machine.  The protocol is one
# JSON line each way: config in, ``ready`` out, start time in, ``done`` (or ``error``) out.


def issuer(stdin: Any, stdout: Any) -> None:
    """The child process: registers ``count`` times round-robin over its sessions at ``rate``/s."""

    def say(kind: str, payload: Any) -> None:
        stdout.write(json.dumps([kind, payload]) + "\n")
        stdout.flush()

    config = json.loads(stdin.readline())
    # The tables exist (the parent made them); two issuers creating them at once can fail.
    app = EventSessions(env=eventstore_env(config["database_url"], create_table=False))
    try:
        parents = {UUID(s): UUID(e) for s, e in config["sessions"]}
        order = list(parents)
        versions = {s: app.get_session(s).version for s in order}
        register(app, parents[order[0]], order[0], -1)  # warm-up, counted in the versions below
        versions[order[0]] += 1
        say("ready", {str(s): v for s, v in versions.items()})
        start_at = float(stdin.readline())
        rate, done = float(config["rate"]), []
        for j in range(int(config["count"])):
            s = order[j % len(order)]
            at = start_at + j / rate
            delay = at - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            register(app, parents[s], s, j)
            versions[s] += 1
            done.append((str(s), versions[s], at, time.monotonic()))  # (session, version, scheduled, committed)
        say("done", done)
    except BaseException as error:  # noqa: BLE001 - handed to the parent
        say("error", repr(error))
    finally:
        app.close()


class IssuerProcess:
    def __init__(self, config: dict[str, Any]) -> None:
        env = get_settings().child_env()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "infra.bench", "--issuer"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
            cwd=PROJECT_ROOT,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        start_thread(self._read, "bench-issuer-reader")
        self.send(json.dumps(config))

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)

    def send(self, line: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def expect(self, kind: str, timeout: float) -> Any:
        try:
            got, payload = json.loads(self.lines.get(timeout=timeout))
        except queue.Empty:
            raise TimeoutError(f"an issuer process sent no {kind!r} within {timeout}s") from None
        if got != kind:
            raise RuntimeError(f"an issuer process failed: {payload}")
        return payload

    def close(self) -> None:
        try:
            assert self.proc.stdin is not None
            self.proc.stdin.close()  # an issuer still waiting for its start time reads EOF and ends
            self.proc.wait(timeout=10)
        except Exception:  # noqa: BLE001
            self.proc.kill()
            self.proc.wait()


@dataclass
class VersionWatch:
    """Polls the read model's session versions; remembers when each session reached each version."""

    database_url: str
    session_ids: list[UUID]
    interval: float = 0.002
    seen: dict[UUID, list[tuple[int, float]]] = field(default_factory=dict)  # session -> [(version, first seen)]
    polls: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        current: dict[UUID, int] = dict.fromkeys(self.session_ids, 0)
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            cur = conn.cursor()
            while not self._stop.is_set():
                cur.execute(
                    "SELECT id, version FROM readmodels.session_seats WHERE id = ANY(%s)",
                    (self.session_ids,),
                    prepare=True,
                )
                rows = cur.fetchall()
                now = time.monotonic()
                self.polls += 1
                for s, v in rows:
                    if v != current[s]:
                        current[s] = v
                        self.seen.setdefault(s, []).append((v, now))
                time.sleep(self.interval)

    def version(self, s: UUID) -> int:
        history = self.seen.get(s)
        return history[-1][0] if history else 0

    def visible_at(self, s: UUID, version: int) -> float | None:
        for v, at in self.seen.get(s, ()):
            if v >= version:
                return at
        return None

    def stop(self) -> None:
        self._stop.set()


def lag_run(container: Container, sizes: Sizes) -> dict[str, float]:
    app = container.app
    groups = 5
    parents: dict[UUID, UUID] = {}
    for g in range(groups):
        event_id, session_ids = new_session_event(app, sizes.lag_sessions // groups, f"bench lag {g}")
        parents.update(dict.fromkeys(session_ids, event_id))
    session_ids = list(parents)

    # The relay as the service runs it; the split below uses the sessions scope's positions.
    logs = {scope.name: PublishLog() for scope in relay_scopes()}
    relays = [
        RelayProcess(container.settings, container.endpoints, scope, logs[scope.name]) for scope in relay_scopes()
    ]
    published = logs[es_topics.SESSIONS]
    for relay in relays:
        relay.start()
    batches = BatchLog()
    runner = container.projection_runner("seat_availability", metrics=batches)
    watch = VersionWatch(container.endpoints.database_url, session_ids)
    threads = [
        start_thread(runner.run, "bench-projection"),
        start_thread(watch.run, "bench-poller"),
    ]
    children: list[IssuerProcess] = []
    per_issuer = int(sizes.lag_rate * sizes.lag_seconds) // sizes.lag_issuers
    issued: list[tuple[UUID, int, float, float]] = []
    try:
        for t in range(sizes.lag_issuers):
            mine = [(str(s), str(parents[s])) for s in session_ids[t :: sizes.lag_issuers]]
            children.append(
                IssuerProcess(
                    {
                        "database_url": container.endpoints.database_url,
                        "sessions": mine,
                        "rate": sizes.lag_rate / sizes.lag_issuers,
                        "count": per_issuer,
                    }
                )
            )
        expected: dict[UUID, int] = {}
        for child in children:
            expected.update({UUID(s): v for s, v in child.expect("ready", 120).items()})
        # Every relay process running first: each takes about a second of CPU to start, and seven
        # starting inside the measured window were what the lag figure then measured.
        wait_until(lambda: all(r.ready.is_set() or r.error for r in relays), 120, 0.01, "every relay process")
        # Start from a settled pipeline: every session (and the warm-up registrations) visible.
        wait_until(
            lambda: all(watch.version(s) >= expected[s] for s in session_ids) or runner.failed is not None,
            60,
            0.01,
            "the lag sessions in the read model",
        )
        start_at = time.monotonic() + 0.1
        # Each issuer starts a fraction of a period after the previous one, so the commands interleave.
        for t, child in enumerate(children):
            child.send(repr(start_at + t / sizes.lag_rate))
        for child in children:
            done = child.expect("done", sizes.lag_seconds * 10 + 60)
            issued += [(UUID(s), v, at, committed) for s, v, at, committed in done]
        issue_seconds = max(i[3] for i in issued) - start_at
        last = {s: max(v for s2, v, _, _ in issued if s2 == s) for s in {i[0] for i in issued}}
        wait_until(
            lambda: all(watch.version(s) >= v for s, v in last.items()) or runner.failed is not None,
            60,
            0.01,
            "every command to be visible",
        )
        if runner.failed is not None:
            raise RuntimeError("the projection runner failed") from runner.failed
        failed = [r.error for r in relays if r.error]
        if failed:
            raise RuntimeError(f"a relay process failed: {failed[0]}")
    finally:
        watch.stop()
        for relay in relays:
            relay.stop()
        runner.stop()
        for thread in threads:
            thread.join(timeout=30)
        for relay in relays:
            relay.join(30)
        for child in children:
            child.close()

    lags: list[float] = []
    behind: list[float] = []
    for s, v, at, committed in issued:
        visible = watch.visible_at(s, v)
        assert visible is not None
        lags.append((visible - committed) * 1000)
        behind.append((committed - at) * 1000)  # includes the command's own duration
    # Split each lag at the moment the relay saved a position covering the command's event.
    recorder: Any = app.recorder
    table = sql.Identifier(recorder.datastore.schema, recorder.events_table_name)
    with container.pool.connection() as conn:
        rows = conn.execute(
            sql.SQL(
                "SELECT originator_id, originator_version, notification_id FROM {} WHERE originator_id = ANY(%s)"
            ).format(table),
            (session_ids,),
        ).fetchall()
    nid = {(r[0], r[1]): r[2] for r in rows}
    to_published: list[float] = []
    to_visible: list[float] = []
    for s, v, _, committed in issued:
        acked = published.published_at(nid[(s, v)])
        visible = watch.visible_at(s, v)
        if acked is not None and visible is not None:
            to_published.append((acked - committed) * 1000)
            to_visible.append((visible - acked) * 1000)
    batch_sizes = [b[1] for b in batches.batches]
    return {
        "lag_p50_ms": percentile(lags, 50),
        "lag_p90_ms": percentile(lags, 90),
        "lag_p99_ms": percentile(lags, 99),
        "lag_max_ms": max(lags),
        "lag_commands": len(issued),
        "lag_commands_per_s": len(issued) / issue_seconds,
        "lag_commit_to_published_p50_ms": percentile(to_published, 50),
        "lag_commit_to_published_p99_ms": percentile(to_published, 99),
        "lag_published_to_visible_p50_ms": percentile(to_visible, 50),
        "lag_published_to_visible_p99_ms": percentile(to_visible, 99),
        "lag_issue_behind_schedule_p99_ms": percentile(behind, 99),
        "lag_relay_batches": len(published.times),
        "lag_projection_batches": len(batch_sizes),
        "lag_projection_batch_mean": sum(batch_sizes) / max(1, len(batch_sizes)),
        "lag_polls": watch.polls,
    }
