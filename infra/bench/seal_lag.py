"""The end-to-end lag with and without the audit sealer, and the seal lag (``infra.bench.audit``'s part).

``lag_with_and_without_sealing`` runs the benchmark's steady-rate lag run alternately without and with
the sealer's process in the service.  Beside the lag figures it says how busy the machine was during
the runs with the sealer (``lag_machine_busy_share``: the share of both cores' time not idle) and the
sealer process's own part of that busy time (``sealer_cpu_share_of_busy``): on a machine near
saturation any extra work moves a p99 more than its share, which is what the lag cost of sealing
measures there.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg

from infra.audit.chain import TABLE as CHAIN_TABLE
from infra.audit.log import timestamp_of
from infra.audit.sealer_child import SealerProcess
from infra.container import Container
from infra.postgres import events_table

Figures = dict[str, float]


def _sql(container: Container, statement: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    with container.pool.connection() as conn:
        cur = conn.execute(statement, params)
        return cur.fetchall() if cur.description else []


def machine_ticks() -> tuple[int, int]:
    """(busy, total) clock ticks of every core since boot (``/proc/stat``)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle and iowait
    return sum(fields) - idle, sum(fields)


def process_ticks(pid: int | None) -> int:
    """User and system clock ticks of process ``pid`` (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0
    return int(fields[11]) + int(fields[12])


class SealWatch:
    """Polls, every 2 ms, the log's highest id and the chain's head: an event's seal lag is the time
    from the first poll that sees it committed to the first that sees it sealed (within a poll)."""

    def __init__(self, database_url: str, events_table: str) -> None:
        self.url = database_url
        self.query = (
            f"SELECT (SELECT max(notification_id) FROM {events_table}), (SELECT max(position) FROM {CHAIN_TABLE})"
        )
        self.polls: list[tuple[float, int, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bench-seal-watch", daemon=True)

    def __enter__(self) -> SealWatch:
        self._thread.start()
        return self

    def __exit__(self, *_exc: Any) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        with psycopg.connect(self.url, autocommit=True) as conn:
            statement = conn.cursor()
            while not self._stop.wait(0.002):
                row = statement.execute(self.query, prepare=True).fetchone()
                if row is not None:
                    self.polls.append((time.monotonic(), int(row[0] or 0), int(row[1] or 0)))

    def lags_ms(self, first: int, ids: set[int]) -> list[float]:
        """The seal lag of each of ``ids`` (stored ids from ``first`` on) seen committed and sealed here."""
        seen: dict[int, float] = {}
        sealed: dict[int, float] = {}
        top_seen = top_sealed = first - 1
        for at, committed, chained in self.polls:
            for i in range(top_seen + 1, committed + 1):
                seen[i] = at
            for i in range(top_sealed + 1, chained + 1):
                sealed[i] = at
            top_seen, top_sealed = max(top_seen, committed), max(top_sealed, chained)
        return sorted((sealed[i] - seen[i]) * 1000 for i in ids if i in seen and i in sealed)


def lag_with_and_without_sealing(container: Container, lag_run: Callable[[], Figures], rounds: int = 3) -> Figures:
    """The benchmark's steady-rate lag run without and with the sealer in the service, alternately,
    ``rounds`` times each (medians: a p99 over ten seconds moves with whatever else runs on a shared
    machine, and three rounds let one disturbed run not decide it); the seal lag of every event of the
    runs with it, from its commit (``SealWatch``) and from its timestamp."""
    table = events_table(container.event_store)
    runs: dict[str, list[Figures]] = {"off": [], "on": []}
    lags: list[float] = []
    stamped: list[float] = []
    busy = total = sealer = 0  # clock ticks over the runs with the sealer
    for label in ["off", "on"] * rounds:
        if label == "off":  # with the same 2 ms poller as the runs with the sealer: it costs the lag too
            with SealWatch(container.endpoints.database_url, table):
                runs["off"].append(lag_run())
            continue
        first = int(_sql(container, f"SELECT coalesce(max(notification_id), 0) FROM {table}")[0][0]) + 1
        worker = SealerProcess(container.settings, container.endpoints)
        worker.start()
        try:
            wait = time.monotonic() + 300  # the backlog first: the lag run starts from a sealed log
            while worker.position < first - 1 and worker.error is None and time.monotonic() < wait:
                time.sleep(0.05)
            with SealWatch(container.endpoints.database_url, table) as watch:
                (busy0, total0), sealer0 = machine_ticks(), process_ticks(worker.pid)
                runs["on"].append(lag_run())
                (busy1, total1), sealer1 = machine_ticks(), process_ticks(worker.pid)
                busy, total, sealer = busy + busy1 - busy0, total + total1 - total0, sealer + sealer1 - sealer0
                last = int(_sql(container, f"SELECT max(notification_id) FROM {table}")[0][0])
                while worker.position < last and worker.error is None and time.monotonic() < wait + 60:
                    time.sleep(0.05)
        finally:
            worker.stop()
            worker.join(60)
        rows = _sql(container, f"SELECT e.notification_id, e.state, c.sealed_at FROM {table} e"
                               f" JOIN {CHAIN_TABLE} c ON c.position = e.notification_id"
                               " WHERE e.notification_id >= %s", (first,))  # fmt: skip
        stamped += [(sealed - timestamp_of(bytes(state))).total_seconds() * 1000 for _, state, sealed in rows]
        lags += watch.lags_ms(first, {r[0] for r in rows})
    lags.sort()
    stamped.sort()

    def median(label: str, key: str) -> float:
        return statistics.median(r[key] for r in runs[label])

    return {
        "seal_lag_from_event_time_p50_ms": _percentile(stamped, 50),
        "seal_lag_from_event_time_p99_ms": _percentile(stamped, 99),
        "lag_p99_ms_sealing_off": median("off", "lag_p99_ms"),
        "lag_p99_ms_sealing_on": median("on", "lag_p99_ms"),
        "lag_p50_ms_sealing_off": median("off", "lag_p50_ms"),
        "lag_p50_ms_sealing_on": median("on", "lag_p50_ms"),
        "lag_sealing_cost": median("on", "lag_p99_ms") / median("off", "lag_p99_ms") - 1,
        "seal_lag_p50_ms": _percentile(lags, 50),
        "seal_lag_p99_ms": _percentile(lags, 99),
        "seal_lag_max_ms": lags[-1] if lags else float("nan"),
        "seal_lag_events": len(lags),
        "lag_machine_busy_share": busy / total if total else float("nan"),
        "sealer_cpu_share_of_busy": sealer / busy if busy else float("nan"),
    }


def _percentile(ordered: list[float], p: float) -> float:
    if not ordered:
        return float("nan")
    rank = (len(ordered) - 1) * p / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)
