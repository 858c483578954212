"""The charging benchmark: OCPI PATCHes over HTTP against a real ``sessionstream run``.

``measure(settings)`` starts ``sessionstream run`` (API, relay, every consumer) in a subprocess on a
fresh database and topic prefix of the configured (or local) PostgreSQL and Kafka, and measures:

- ``ocpi_patch_per_s``: PATCHes of running sessions (one new charging period each) from 4 concurrent
  clients on keep-alive connections, each client cycling over its own sessions;
- ``http_get_livez_per_s``: ``GET /livez`` from the same 4 clients in the same run, the HTTP ceiling
  (what the stack answers when a request does no work);
- ``ocpi_patch_ms_p50_at_1000`` and ``ocpi_patch_ms_p50_at_10``: the median latency of one PATCH
  (one client, one at a time, interleaved) on a session that already has 1,000 periods and on one that
  has 10 (CH-20: a PATCH's cost does not grow with the stored periods);
- reference figures: the p90s, the 1,000/10 latency ratio, and ``*_split``: the PATCH and livez rates
  again with the API in a process of its own and the relay and consumers in another
  (``sessionstream run --no-relay --no-projections --no-inbound`` beside ``sessionstream run --no-api``),
  because the consumers run as threads of the API's process and share its interpreter lock; and
  ``*_api_only``: the API with no relay and no consumers at all (the ceiling of HTTP + commands).

Run it alone: ``python -m infra.bench.charging [--seconds 5] [--json results.json]``.  Targets (issue 9):
at least 500 PATCH/s on the development machine, the 1,000-period latency within 1.5x of the 10-period one.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlparse, urlunparse

import psycopg
from psycopg import sql

from infra.bench.support import delete_topics
from infra.container import resolve_endpoints
from infra.settings import Settings, get_settings
from producers.catalogue import relay_scopes

TOKEN = "bench-cpo"
PARTY = ("NL", "BEN")
CLIENTS = 4
SESSIONS_PER_CLIENT = 25
START = datetime(2030, 1, 1, tzinfo=timezone.utc)


def _z(instant: datetime) -> str:
    return instant.strftime("%Y-%m-%dT%H:%M:%SZ")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _database(server_url: str, name: str, *, drop: bool = False) -> str:
    with psycopg.connect(server_url, autocommit=True) as conn:
        statement = "DROP DATABASE IF EXISTS {} WITH (FORCE)" if drop else "CREATE DATABASE {}"
        conn.execute(sql.SQL(statement).format(sql.Identifier(name)))
    return urlunparse(urlparse(server_url)._replace(path="/" + name))


def _wait_disconnected(server_url: str, name: str, timeout: float = 20.0) -> None:
    """Waits until no session uses the database (the relay's children stop after the service)."""
    deadline = time.monotonic() + timeout
    with psycopg.connect(server_url, autocommit=True) as conn:
        while time.monotonic() < deadline:
            row = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s", (name,)).fetchone()
            if not row or row[0] == 0:
                return
            time.sleep(0.2)


class Service:
    """``sessionstream run`` in a subprocess (or, ``split``, its API in one process and its workers, the
    relay and the consumers, in another), on its own database and topic prefix."""

    def __init__(self, settings: Settings, *, split: bool = False, api_only: bool = False) -> None:
        endpoints = resolve_endpoints(settings)
        self.server_url = endpoints.database_url
        self.bootstrap = endpoints.kafka_bootstrap
        self.name = f"bench_charging_{uuid.uuid4().hex[:8]}"
        self.port = _free_port()
        env = settings.child_env(
            DATABASE_URL=_database(self.server_url, self.name),
            KAFKA_BOOTSTRAP_SERVERS=endpoints.kafka_bootstrap, SESSIONSTREAM_TOPIC_PREFIX=f"{self.name}.",
            SESSIONSTREAM_HTTP_PORT=str(self.port), SESSIONSTREAM_API_TOKENS="bench-write:write",
            SESSIONSTREAM_OCPI_TOKENS=f"{TOKEN}:{PARTY[0]}:{PARTY[1]}", SESSIONSTREAM_LOG_LEVEL="WARNING",
        )  # fmt: skip
        run = [sys.executable, "-m", "infra.cli.main", "run"]
        api = [*run, "--no-relay", "--no-projections", "--no-inbound"]
        layouts = [api] if api_only else [api, [*run, "--no-api"]] if split else [run]
        self.processes = []
        for command in layouts:
            self.processes.append(subprocess.Popen(command, env=env))
            if command is layouts[0]:
                self._wait_ready()
        self._wait_workers(relays=0 if api_only else len(relay_scopes()))

    def _wait_ready(self, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.processes[0].poll() is not None:
                raise RuntimeError(f"the service exited with {self.processes[0].returncode}")
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                connection.request("GET", "/readyz")
                if connection.getresponse().status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.3)
        raise RuntimeError("the service did not become ready")

    def _wait_workers(self, relays: int, timeout: float = 120.0) -> None:
        """Waits until the service is in its steady state: every worker of the API's process up, and the
        relay processes started (each holds its scope's advisory lock once running; with ``split`` they
        live in the other process, which has no HTTP).  Relay processes take seconds of CPU to start,
        and the figures are those of a running service, not of its start."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
            connection.request("GET", "/readyz")
            health = json.loads(connection.getresponse().read())
            connection.close()
            if all(w["up"] for w in health.get("workers", [])) and self._scope_locks() >= relays:
                return
            time.sleep(0.2)
        raise RuntimeError("the service's workers did not all come up")

    def _scope_locks(self) -> int:
        with psycopg.connect(self.server_url, autocommit=True) as conn:
            row = conn.execute(
                "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database"
                " WHERE l.locktype = 'advisory' AND l.granted AND l.classid::int = hashtext('sessionstream.relay')"
                " AND d.datname = %s", (self.name,),
            ).fetchone()  # fmt: skip
        return int(row[0]) if row else 0

    def stop(self) -> None:
        for process in self.processes:
            process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
        _wait_disconnected(self.server_url, self.name)
        _database(self.server_url, self.name, drop=True)
        delete_topics(self.bootstrap, f"{self.name}.")  # a broker keeping every run's topics runs out of files


class Client:
    """One keep-alive connection speaking OCPI (``http.client``: little client overhead)."""

    def __init__(self, port: int) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.headers = {
            "Authorization": "Token " + base64.b64encode(TOKEN.encode()).decode(), "Content-Type": "application/json",
        }  # fmt: skip

    def call(self, method: str, path: str, body: Any = None) -> dict[str, Any]:
        self.connection.request(method, path, json.dumps(body) if body is not None else None, self.headers)
        response = self.connection.getresponse()
        payload = response.read()
        if response.status >= 300:
            raise RuntimeError(f"{method} {path}: {response.status} {payload[:300]!r}")
        return json.loads(payload) if path != "/livez" else {}

    def reconnect(self) -> None:
        """A fresh connection: the server closes one left idle past its keep-alive timeout (5 s)."""
        self.connection.close()
        self.connection = http.client.HTTPConnection(self.connection.host, self.connection.port, timeout=30)

    def close(self) -> None:
        self.connection.close()


def _session(session_id: str, periods: int) -> dict[str, Any]:
    return {
        "country_code": PARTY[0], "party_id": PARTY[1], "id": session_id, "start_date_time": _z(START),
        "kwh": 0, "cdr_token": {"country_code": "NL", "party_id": "TST", "uid": "012345678", "type": "RFID",
                                "contract_id": "NL-TST-C12345678-S"},
        "auth_method": "WHITELIST", "location_id": "BENCH", "evse_uid": "E1", "connector_id": "1",
        "currency": "EUR", "status": "ACTIVE", "last_updated": _z(START + timedelta(seconds=periods)),
        "charging_periods": [_period(n) for n in range(periods)],
    }  # fmt: skip


def _period(n: int) -> dict[str, Any]:
    return {"start_date_time": _z(START + timedelta(seconds=n)), "dimensions": [{"type": "ENERGY", "volume": 0.25}]}


def _path(session_id: str) -> str:
    return f"/ocpi/emsp/2.2.1/sessions/{PARTY[0]}/{PARTY[1]}/{session_id}"


class RunningSession:
    """A session that takes one PATCH with one new period at a time."""

    def __init__(self, client: Client, periods: int) -> None:
        self.id = f"bench-{uuid.uuid4().hex[:16]}"
        self.count = periods
        client.call("PUT", _path(self.id), _session(self.id, periods))

    def patch(self, client: Client) -> None:
        at = _z(START + timedelta(seconds=self.count))
        client.call(
            "PATCH",
            _path(self.id),
            {"kwh": self.count / 4, "charging_periods": [_period(self.count)], "last_updated": at},
        )
        self.count += 1


def _rate(clients: list[Client], seconds: float, work: Callable[[int, Client], object]) -> float:
    """Requests per second of ``work`` from every client at once, for ``seconds``."""
    done = [0] * len(clients)
    failures: list[BaseException] = []
    stop = time.monotonic() + seconds

    def loop(index: int) -> None:
        try:
            while time.monotonic() < stop:
                work(index, clients[index])
                done[index] += 1
        except BaseException as error:  # noqa: BLE001 - reported below
            failures.append(error)

    threads = [threading.Thread(target=loop, args=(i,)) for i in range(len(clients))]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]
    return sum(done) / (time.monotonic() - started)


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


def _latencies(client: Client, long: RunningSession, short: RunningSession, count: int) -> dict[str, float]:
    timings: dict[str, list[float]] = {"at_1000": [], "at_10": []}
    for _ in range(count):
        for name, target in (("at_1000", long), ("at_10", short)):
            started = time.perf_counter()
            target.patch(client)
            timings[name].append((time.perf_counter() - started) * 1000)
    return {
        "ocpi_patch_ms_p50_at_1000": _percentile(timings["at_1000"], 0.5),
        "ocpi_patch_ms_p50_at_10": _percentile(timings["at_10"], 0.5),
        "ocpi_patch_ms_p90_at_1000": _percentile(timings["at_1000"], 0.9),
        "ocpi_patch_ms_p90_at_10": _percentile(timings["at_10"], 0.9),
    }


def _run(
    settings: Settings, seconds: float, latency_patches: int, *, split: bool = False, api_only: bool = False
) -> dict[str, float]:
    service = Service(settings, split=split, api_only=api_only)
    clients = [Client(service.port) for _ in range(CLIENTS)]
    try:
        owned = [[RunningSession(c, 1) for _ in range(SESSIONS_PER_CLIENT)] for c in clients]
        for client in clients:  # the setup above left most of them idle for seconds
            client.reconnect()
        turn = [0] * CLIENTS

        def patch_next(index: int, client: Client) -> None:
            sessions = owned[index]
            sessions[turn[index] % len(sessions)].patch(client)
            turn[index] += 1

        _rate(clients, 1.0, patch_next)  # warm-up: caches, connections, pools
        livez = _rate(clients, seconds, lambda _i, c: c.call("GET", "/livez") and None)
        patches = _rate(clients, seconds, patch_next)
        results = {"ocpi_patch_per_s": patches, "http_get_livez_per_s": livez}
        if latency_patches:
            long, short = RunningSession(clients[0], 1000), RunningSession(clients[0], 10)
            clients[0].reconnect()
            _latencies(clients[0], long, short, 20)  # warm-up
            results.update(_latencies(clients[0], long, short, latency_patches))
            results["ocpi_patch_latency_ratio_1000_vs_10"] = (
                results["ocpi_patch_ms_p50_at_1000"] / results["ocpi_patch_ms_p50_at_10"]
            )
        return results
    finally:
        for client in clients:
            client.close()
        service.stop()


def measure(settings: Settings | None = None, *, seconds: float = 5.0, latency_patches: int = 300) -> dict[str, float]:
    """Runs the benchmark (see the module docstring) and returns its figures: those of one
    ``sessionstream run``, then (``*_split``) the API in a process of its own beside the workers, then
    (``*_api_only``) the API without workers."""
    settings = settings or get_settings()
    results = _run(settings, seconds, latency_patches, split=False)
    split = _run(settings, seconds, 0, split=True)
    results["ocpi_patch_per_s_split"] = split["ocpi_patch_per_s"]
    results["http_get_livez_per_s_split"] = split["http_get_livez_per_s"]
    alone = _run(settings, seconds, 0, api_only=True)
    results["ocpi_patch_per_s_api_only"] = alone["ocpi_patch_per_s"]
    results["http_get_livez_per_s_api_only"] = alone["http_get_livez_per_s"]
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each throughput run")
    parser.add_argument("--latency-patches", type=int, default=300, help="PATCHes per latency figure")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)
    results = measure(seconds=args.seconds, latency_patches=args.latency_patches)
    for name, value in results.items():
        print(f"{name:40s} {value:10.2f}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
