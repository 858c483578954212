"""The audit's figures: sealing, rebuilds (now and as of an instant), sealing's cost to relay and lag.

``audit_figures(container, relay_run=..., lag_run=...)`` is the one function the benchmark calls, on
its filled store, after its own phases; it takes the benchmark's relay and lag runs as callables so
that both are measured with and without sealing in one run, by the benchmark's own code.  Run alone,
``python -m infra.bench.audit [--large] [--json PATH]`` fills a fresh database (the benchmark's fill:
registrations, 100 per save; 50,000 events, or 1,000,000 with ``--large``) and reports the same figures.
``infra.bench.run`` calls it after its lag phase, with its own relay, catch-up and lag runs.

Figures:
- ``seal_events_per_s``: the sealer over the whole store as a backlog (empty chain), in one process.
- ``rebuild_events_per_s_<read model>``: a rebuild into a scratch schema as ``projections rebuild`` runs
  it (in two processes where ``infra.audit.parts`` allows), the store's size over the time;
  ``rebuild_asof_events_per_s_<read model>`` the same as of the instant halfway through the store;
  ``rebuild_rss_growth_mb``: the most any rebuild grew this process's memory (a part's child as much).
- ``relay_events_per_s_sealing_off`` / ``_on`` / ``_backlog``: the relay from position 0 over the
  store, alone, with the sealer running (chain up to date), and with the sealer sealing the same
  backlog beside it; ``lag_p99_ms_sealing_off`` / ``_on``: the benchmark's lag run (steady 200
  commands/s) without and with the sealer in the service;
  ``seal_lag_p50_ms`` / ``seal_lag_p99_ms``: during the run with it, from each event's commit to its
  seal, as a 2 ms poller of the log's and the chain's heads sees them (``infra.bench.seal_lag``, with
  ``lag_machine_busy_share`` and ``sealer_cpu_share_of_busy``: how busy the machine was, and the sealer's part);
  ``seal_lag_from_event_time_*``: from the event's own timestamp, taken before its commit, to its link's
  ``sealed_at`` (an upper bound that also counts the command's own time).
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import secrets
import statistics
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from infra.audit.chain import TABLE as CHAIN_TABLE
from infra.audit.log import timestamp_of
from infra.audit.parts import replay
from infra.audit.rebuild import empty
from infra.audit.sealer import sealer_for
from infra.audit.sealer_child import SealerProcess
from infra.bench.seal_lag import lag_with_and_without_sealing
from infra.container import Container
from infra.postgres import events_table
from projections.catalogue import PROJECTIONS

log = logging.getLogger(__name__)

TARGETS = {
    "seal_events_per_s": (">=", 50_000.0),
    "seal_lag_p99_ms": ("<", 100.0),
    "rebuild_events_per_s": (">=", 50_000.0),  # each read model's, as-of included
    "sealing_cost": ("<=", 0.10),  # relay and lag, on vs off
}

Figures = dict[str, float]


class NullSender:
    """Checkpoints go nowhere: the backlog figure is the sealer's own work."""

    def send(self, topic: str, *, key: bytes, value: bytes, headers: list[tuple[str, bytes]]) -> NullSender:
        return self

    def get(self, timeout: float | None = None) -> None:
        pass

    def flush(self, timeout: float | None = None) -> None:
        pass


def _rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


class PeakRss:
    """The most this process's resident memory grew while the block ran (sampled every 20 ms)."""

    def __enter__(self) -> PeakRss:
        self.before = self.peak = _rss_mb()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, _rss_mb())

    def __exit__(self, *_exc: Any) -> None:
        self._stop.set()
        self._thread.join()
        self.growth = max(self.peak, _rss_mb()) - self.before


def _sql(container: Container, statement: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    with container.pool.connection() as conn:
        cur = conn.execute(statement, params)
        return cur.fetchall() if cur.description else []


def _store_events(container: Container) -> int:
    table = events_table(container.event_store)
    return int(_sql(container, f"SELECT count(*) FROM {table}")[0][0])


def seal_backlog(container: Container) -> Figures:
    """The sealer over the whole store from an empty chain."""
    _sql(container, f"TRUNCATE {CHAIN_TABLE}")
    events = _store_events(container)
    sealer = sealer_for(container, NullSender())
    started, cpu = time.perf_counter(), time.process_time()
    try:
        while sealer.seal_once():
            pass
    finally:
        sealer.writers.close()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    # Per second of this process's CPU too: on a shared machine the wall clock also counts the neighbours.
    return {"seal_events_per_s": events / seconds, "seal_seconds": seconds, "seal_events": events,
            "seal_events_per_cpu_s": events / cpu}  # fmt: skip


def rebuild_rates(container: Container) -> Figures:
    """Every read model rebuilt into a scratch schema, and as of the instant halfway through the store."""
    app, pool = container.event_store, container.pool
    table = events_table(app)
    events = _store_events(container)
    middle = _sql(container, f"SELECT state FROM {table} ORDER BY notification_id OFFSET %s LIMIT 1", (events // 2,))
    halfway = timestamp_of(bytes(middle[0][0]))
    figures: Figures = {"rebuild_store_events": events}
    growth = 0.0
    for name, projection in PROJECTIONS.items():
        for label, until in (("", None), ("asof_", halfway)):
            schema = f"bench_{label}{name}"
            empty(pool, projection, schema)
            cpu = time.process_time()
            with PeakRss() as rss:
                done = replay(container, projection, schema, until=until)
            growth = max(growth, rss.growth)
            figures[f"rebuild_{label}events_per_s_{name}"] = events / done.seconds
            figures[f"rebuild_{label}cpu_seconds_{name}"] = time.process_time() - cpu
            figures[f"rebuild_{label}seconds_{name}"] = done.seconds
            _sql(container, f"DROP SCHEMA {schema} CASCADE")
    rates = [v for k, v in figures.items() if k.startswith("rebuild_") and "_events_per_s_" in k]
    figures["rebuild_events_per_s_min"] = min(rates)
    figures["rebuild_rss_growth_mb"] = growth
    return figures


def _reset_relay(container: Container) -> None:
    _sql(container, "DELETE FROM public.relay_positions")


def relay_with_and_without_sealing(container: Container, relay_run: Callable[[], Figures], rounds: int = 2) -> Figures:
    """The relay from position 0: alone; with the sealer running as in the service (the chain already
    sealed, as it is when the relay re-publishes); alternately, ``rounds`` times each, medians reported
    (the machine is shared); then once with the sealer sealing the same backlog beside it (both catching
    up after downtime: the worst case)."""
    rates: dict[str, list[float]] = {"off": [], "on": [], "backlog": []}
    for label in ["off", "on"] * rounds + ["backlog"]:
        _reset_relay(container)
        if label == "backlog":
            _sql(container, f"TRUNCATE {CHAIN_TABLE}")
        worker = SealerProcess(container.settings, container.endpoints) if label != "off" else None
        if worker is not None:
            worker.start()
        try:
            rates[label].append(relay_run()["rate"])
        finally:
            if worker is not None:
                worker.stop()
                worker.join(120)
    off, on, backlog = (statistics.median(rates[k]) for k in ("off", "on", "backlog"))
    return {
        "relay_events_per_s_sealing_off": off,
        "relay_events_per_s_sealing_on": on,
        "relay_events_per_s_sealing_backlog": backlog,
        "relay_sealing_cost": 1 - on / off,
        "relay_sealing_backlog_cost": 1 - backlog / off,
    }


def audit_figures(
    container: Container,
    *,
    relay_run: Callable[[], Figures] | None = None,
    catch_up_run: Callable[[], Any] | None = None,
    lag_run: Callable[[], Figures] | None = None,
) -> Figures:
    """Every audit figure on the container's (filled) store; ``relay_run`` returns the benchmark's relay
    figures (``rate``) from position 0, ``catch_up_run`` lets the lag run's read model consume what the
    relay runs published, ``lag_run`` returns the lag figures (``lag_p50_ms``, ``lag_p99_ms``)."""
    figures: Figures = {"machine_load_1m_at_start": os.getloadavg()[0]}  # the machine is shared: say how busy
    figures.update(seal_backlog(container))
    figures.update(rebuild_rates(container))
    if relay_run is not None:
        figures.update(relay_with_and_without_sealing(container, relay_run))
    if catch_up_run is not None:
        catch_up_run()
    if lag_run is not None:
        figures.update(lag_with_and_without_sealing(container, lag_run))
    figures["machine_load_1m_at_end"] = os.getloadavg()[0]
    return figures


def verdicts(figures: Figures) -> list[str]:
    """Each target, met or missed, in words."""
    lines = []
    checks = [
        ("seal_events_per_s", figures.get("seal_events_per_s")),
        ("seal_lag_p99_ms", figures.get("seal_lag_p99_ms")),
        ("rebuild_events_per_s", figures.get("rebuild_events_per_s_min")),
        ("sealing_cost", max((figures.get(k, float("nan")) for k in ("relay_sealing_cost", "lag_sealing_cost")),
                             default=float("nan"))),
    ]  # fmt: skip
    for name, value in checks:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            continue
        op, limit = TARGETS[name]
        ok = value >= limit if op == ">=" else value < limit if op == "<" else value <= limit
        lines.append(f"{name}: {value:,.3f} (target {op} {limit:,}) {'ok' if ok else 'MISSED'}")
    return lines


def main(argv: list[str] | None = None) -> None:
    """Standalone: a fresh database and topic prefix (removed at the end), filled, then every figure."""
    from infra.bench.catch_up import catch_up
    from infra.bench.lag import lag_run
    from infra.bench.relay import relay_rate, topic_size
    from infra.bench.support import Sizes, create_database, delete_topics, drop_database, fill_store, settle_store
    from infra.container import Endpoints, resolve_endpoints
    from infra.settings import get_settings
    from producers import topics
    from producers.eventsessions import topics as es_topics

    parser = argparse.ArgumentParser(prog="python -m infra.bench.audit", description=__doc__.split("\n\n")[0])
    parser.add_argument("--large", action="store_true", help="fill 1,000,000 events (default: the benchmark's size)")
    parser.add_argument("--json", dest="json_path", type=Path, default=None)
    parser.add_argument("--no-lag", action="store_true", help="skip the relay and lag runs")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("kafka").setLevel(logging.ERROR)
    sizes = Sizes.full()
    target = 1_000_000 if args.large else sizes.store_events
    base = get_settings()
    endpoints = resolve_endpoints(base)
    dbname = f"bench_{secrets.token_hex(4)}"
    prefix = f"{dbname}."
    url = create_database(endpoints.database_url, dbname)
    container = Container(base.model_copy(update={"topic_prefix": prefix}), Endpoints(url, endpoints.kafka_bootstrap))
    try:
        container.prepare()
        started = time.perf_counter()
        stored = fill_store(container.app, target)
        settle_store(url, events_table(container.app))
        figures: Figures = {"store_events": stored, "fill_seconds": time.perf_counter() - started}
        runs: dict[str, Any] = {}
        if not args.no_lag:
            sessions = topics.physical(es_topics.SESSIONS, prefix)
            runs = {
                "relay_run": lambda: relay_rate(container, stored, timeout=1200),
                "catch_up_run": lambda: catch_up(
                    container, topic_size(endpoints.kafka_bootstrap, sessions), timeout=1200
                ),
                "lag_run": lambda: lag_run(container, sizes),
            }
        figures.update(audit_figures(container, **runs))
    finally:
        container.close()
        drop_database(endpoints.database_url, dbname)
        delete_topics(endpoints.kafka_bootstrap, prefix)
    for key in sorted(figures):
        print(f"{key:45} {figures[key]:>14,.3f}")
    for line in verdicts(figures):
        print(line)
    if args.json_path is not None:
        clean = {k: (v if math.isfinite(v) else None) for k, v in figures.items()}
        args.json_path.write_text(json.dumps(clean, indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
