"""The music benchmark: recurrence expansion per CPU second, and tune-log commands over HTTP.

Run it alone with ``python -m infra.bench.music [--json PATH] [--quick]`` (configured or local services).

- ``music_occurrences_per_s``: one year of a weekly pattern (Thursdays 21:00-23:30, America/Chicago, so
  both DST switches fall inside) expanded as ``GET .../occurrences`` does it — the canonical JSON parsed,
  a ``Schedule`` built, ``expand`` giving local dates and UTC instants — over and over, occurrences per
  second of CPU (``time.process_time``).  Beside it, in the same run, the same expansion written with
  bare ``dateutil.rrule``: ``..._rrule_reference`` builds the rule per call, as a call site would, and
  ``..._rrule_reused_reference`` builds it once.  Both references attach the zone and convert start and
  end to UTC, so they produce what ours produces.  Target: within 2x of the reference.
- ``tunelog_commands_per_s``: tune adds (``POST /music/instances/{id}/tunes``, position end) to ONE
  instance from 4 HTTP clients at once, against the API served by a separate process on a fresh
  database; every add contends for that one aggregate (optimistic concurrency, retried).
  ``tunelog_commands_per_s_1_client`` is the same from a single client, for reference.

The database (``bench_music_<hex>``) is created on the configured or local PostgreSQL server and dropped
at the end; no topic is touched (the API process runs no relay).
"""

from __future__ import annotations

import argparse
import json
import secrets
import socket
import subprocess
import sys
import threading
import time
from datetime import date, datetime, timezone
from datetime import time as clock_time
from itertools import pairwise
from pathlib import Path
from typing import Any
from urllib.parse import urlparse, urlunparse
from zoneinfo import ZoneInfo

import httpx
import psycopg
from dateutil.rrule import MO, TH, WEEKLY, rrule
from psycopg import sql
from rich.console import Console
from rich.table import Table

from domain.music.patterns import parse_recurrence
from domain.music.schedule import Schedule
from infra.settings import get_settings

console = Console()
UTC = timezone.utc
ZONE = "America/Chicago"
PATTERN = {"type": "weekly", "daysOfWeek": [4], "startTime": "21:00", "endTime": "23:30"}
YEAR = (date(2025, 1, 1), date(2025, 12, 31))
TOKEN = "bench-music-write"
CLIENTS = 4


# -- recurrence expansion ---------------------------------------------------------------------------


def expand_ours() -> int:
    start, end = YEAR
    return len(Schedule(ZONE, parse_recurrence(PATTERN)).expand(start, end))


def expand_rrule(rule: rrule | None = None) -> int:
    """The same occurrences (local date, UTC start and end) with bare dateutil."""
    tz = ZoneInfo(ZONE)
    start, end = YEAR
    if rule is None:
        rule = rrule(WEEKLY, byweekday=[TH], dtstart=datetime.combine(start, clock_time()), wkst=MO)
    found = []
    for local in rule.between(
        datetime.combine(start, clock_time()), datetime.combine(end, clock_time(23, 59)), inc=True
    ):
        day = local.date()
        begin = datetime.combine(day, clock_time(21, 0), tzinfo=tz).astimezone(UTC)
        finish = datetime.combine(day, clock_time(23, 30), tzinfo=tz).astimezone(UTC)
        found.append((day, begin, finish))
    return len(found)


def per_cpu_second(expand: Any, seconds: float) -> float:
    """Occurrences per second of this process's CPU while ``expand`` runs again and again."""
    expand()  # warm caches and imports
    occurrences = 0
    started = time.process_time()
    while (spent := time.process_time() - started) < seconds:
        for _ in range(20):
            occurrences += expand()
    return occurrences / spent


def expansion_figures(seconds: float) -> dict[str, float]:
    assert expand_ours() == expand_rrule() == 52
    reused = rrule(WEEKLY, byweekday=[TH], dtstart=datetime.combine(YEAR[0], clock_time()), wkst=MO)
    return {
        "music_occurrences_per_s": per_cpu_second(expand_ours, seconds),
        "music_occurrences_per_s_rrule_reference": per_cpu_second(expand_rrule, seconds),
        "music_occurrences_per_s_rrule_reused_reference": per_cpu_second(lambda: expand_rrule(reused), seconds),
    }


# -- tune-log commands over HTTP --------------------------------------------------------------------


def _with_dbname(url: str, name: str) -> str:
    return urlunparse(urlparse(url)._replace(path=f"/{name}"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(database_url: str, port: int) -> None:
    """The API alone (no relay, consumers or jobs) over ``database_url``: the benchmark's server process."""
    import uvicorn
    from pydantic import SecretStr

    from infra.api.app import create_app
    from infra.container import Container, Endpoints
    from infra.settings import Settings

    settings = Settings(SESSIONSTREAM_API_TOKENS=SecretStr(f"{TOKEN}:write"))
    container = Container(settings, Endpoints(database_url, "unused:9092"))
    container.music.registry()  # the event store's tables
    uvicorn.run(create_app(container), host="127.0.0.1", port=port, log_level="warning", access_log=False)


def _adds(url: str, instance_id: str, count: int, label: str, barrier: threading.Barrier, errors: list[str]) -> None:
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30) as http:
        barrier.wait()
        for n in range(count):
            answer = http.post(f"/music/instances/{instance_id}/tunes", json={"name": f"{label} reel {n}"})
            if answer.status_code != 201:
                errors.append(f"{answer.status_code} {answer.text[:200]}")


def adds_per_second(url: str, http: httpx.Client, clients: int, per_client: int) -> float:
    session = http.post("/music/sessions", json={"name": "Bench", "path": f"bench-{secrets.token_hex(4)}"}).json()
    instance = http.post(f"/music/sessions/{session['id']}/instances", json={"date": "2025-11-02"}).json()
    barrier = threading.Barrier(clients + 1)
    errors: list[str] = []
    threads = [
        threading.Thread(target=_adds, args=(url, instance["id"], per_client, f"c{i}", barrier, errors))
        for i in range(clients)
    ]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise RuntimeError(f"{len(errors)} adds failed, e.g. {errors[0]}")
    log = http.get(f"/music/instances/{instance['id']}/tunes").json()
    assert len(log) == clients * per_client and all(a["order_number"] < b["order_number"] for a, b in pairwise(log))
    return clients * per_client / elapsed


def tunelog_figures(server_url: str, per_client: int) -> dict[str, float]:
    name = f"bench_music_{secrets.token_hex(4)}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "infra.bench.music", "serve", _with_dbname(server_url, name), str(port)],
        env=get_settings().child_env(SESSIONSTREAM_LOG_LEVEL="WARNING"),
    )  # fmt: skip
    try:
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30) as http:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if http.get("/livez").status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("the benchmark's API process did not start")
                time.sleep(0.2)
            adds_per_second(url, http, 1, 20)  # warm up the server
            return {
                "tunelog_commands_per_s": adds_per_second(url, http, CLIENTS, per_client),
                "tunelog_commands_per_s_1_client": adds_per_second(url, http, 1, per_client),
            }
    finally:
        server.terminate()
        server.wait(30)
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


# -- the entry --------------------------------------------------------------------------------------


def measure(settings: Any = None, *, quick: bool = False) -> dict[str, float]:
    """Every music figure, on ``settings`` (a ``Settings`` or a ``Container``; default: the environment's)."""
    from infra.container import resolve_endpoints
    from infra.settings import get_settings

    settings = getattr(settings, "settings", settings) or get_settings()
    server_url = resolve_endpoints(settings).database_url
    figures = expansion_figures(0.5 if quick else 2.0)
    figures.update(tunelog_figures(server_url, 25 if quick else 150))
    return figures


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m infra.bench.music", description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="write the figures as one JSON object to this path")
    parser.add_argument("--quick", action="store_true", help="smaller sizes")
    args = parser.parse_args(argv)
    figures = measure(quick=args.quick)
    table = Table(title="music benchmark")
    table.add_column("figure")
    table.add_column("value", justify="right")
    for key, value in figures.items():
        table.add_row(key, f"{value:,.0f}")
    table.add_row(
        "ours / rrule reference",
        f"{figures['music_occurrences_per_s'] / figures['music_occurrences_per_s_rrule_reference']:.2f}",
    )
    console.print(table)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "serve":
        serve(sys.argv[2], int(sys.argv[3]))
    else:
        main()
