"""Bring the local PostgreSQL and Kafka up and down, and say where they are.

Anything given in the settings (``DATABASE_URL``, ``KAFKA_BOOTSTRAP_SERVERS``) is used as is and
not started locally. The state file ``<local_dir>/services.json`` remembers pids and ports, so
restarts keep the same ports; ``<local_dir>/services.lock`` serialises concurrent ``up``/``down``
calls (the test suite and ``sessionstream run`` may both call ``up``).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from infra.local import LocalServiceError, kafka, postgres
from infra.settings import Settings

logger = logging.getLogger(__name__)

STATE_FILE = "services.json"
LOCK_FILE = "services.lock"


def up(settings: Settings) -> dict[str, str]:
    """Start what the settings do not provide, reuse what is already running, and return the env."""
    with _locked(settings.local_dir):
        state = _load(settings.local_dir)
        database_url = _given_database_url(settings) or _up_postgres(settings.local_dir, state)
        bootstrap = settings.kafka_bootstrap_servers or _up_kafka(settings.local_dir, state)
        return {"DATABASE_URL": database_url, "KAFKA_BOOTSTRAP_SERVERS": bootstrap}


def down(settings: Settings) -> None:
    """Stop the local services (ports stay remembered for the next ``up``; data is kept)."""
    local_dir = settings.local_dir
    if not local_dir.exists():
        return
    with _locked(local_dir):
        state = _load(local_dir)
        k_state = state.get("kafka", {})
        kafka.stop(local_dir / "kafka", k_state.get("pid"))
        if k_state:
            k_state["pid"] = None
            _save(local_dir, state)
        postgres.stop(local_dir / "postgres")
        if state.get("postgres"):
            state["postgres"]["pid"] = None
            _save(local_dir, state)


SERVICES = ("postgres", "kafka")


def stop_service(settings: Settings, name: str) -> None:
    """Stop one local service (fault tests: a broker or database outage); ``start_service`` brings it
    back on the same port with the same data."""
    _check_local(settings, name)
    local_dir = settings.local_dir
    with _locked(local_dir):
        state = _load(local_dir)
        if name == "postgres":
            postgres.stop(local_dir / "postgres")
        else:
            k_state = state.get("kafka", {})
            kafka.stop(local_dir / "kafka", k_state.get("pid"))
        if state.get(name):
            state[name]["pid"] = None
            _save(local_dir, state)


def start_service(settings: Settings, name: str) -> str:
    """Start one local service (if it is not running); returns its URL."""
    _check_local(settings, name)
    with _locked(settings.local_dir):
        state = _load(settings.local_dir)
        if name == "postgres":
            return _up_postgres(settings.local_dir, state)
        return _up_kafka(settings.local_dir, state)


def _check_local(settings: Settings, name: str) -> None:
    if name not in SERVICES:
        raise LocalServiceError(f"unknown local service {name!r}; known: {', '.join(SERVICES)}")
    given = _given_database_url(settings) if name == "postgres" else settings.kafka_bootstrap_servers
    if not given:
        return
    port = status(settings)[name]["port"]
    where = urlparse(given if "://" in given else f"kafka://{given}")
    if where.hostname not in ("127.0.0.1", "localhost") or where.port != port:
        raise LocalServiceError(f"{name} is given by the environment ({where.hostname}:{where.port}), not the local"
                                f" one on port {port}: it is not ours to stop or start")  # fmt: skip


def status(settings: Settings) -> dict[str, dict[str, Any]]:
    """Each local service: ``running``, ``pid``, ``port`` and ``url`` (None when not running)."""
    local_dir = settings.local_dir
    state = _load(local_dir)
    pg = postgres.running(local_dir / "postgres")
    broker = _kafka_running(local_dir, state.get("kafka", {}))
    return {
        "postgres": {
            "running": pg is not None,
            "pid": pg.pid if pg else None,
            "port": pg.port if pg else state.get("postgres", {}).get("port"),
            "url": pg.url if pg else None,
        },
        "kafka": {
            "running": broker is not None,
            "pid": broker.pid if broker else None,
            "port": broker.port if broker else state.get("kafka", {}).get("port"),
            "url": broker.bootstrap_servers if broker else None,
        },
    }


def env(settings: Settings) -> dict[str, str]:
    """What ``up`` would return, without starting anything; raises if a needed service is down."""
    current = status(settings)
    values: dict[str, str] = {}
    missing: list[str] = []
    if _given_database_url(settings):
        values["DATABASE_URL"] = _given_database_url(settings)
    elif current["postgres"]["running"]:
        values["DATABASE_URL"] = current["postgres"]["url"]
    else:
        missing.append("PostgreSQL")
    if settings.kafka_bootstrap_servers:
        values["KAFKA_BOOTSTRAP_SERVERS"] = settings.kafka_bootstrap_servers
    elif current["kafka"]["running"]:
        values["KAFKA_BOOTSTRAP_SERVERS"] = current["kafka"]["url"]
    else:
        missing.append("Kafka")
    if missing:
        raise LocalServiceError(f"local {' and '.join(missing)} not running; start with: sessionstream local up")
    return values


def _up_postgres(local_dir: Path, state: dict[str, Any]) -> str:
    pg_state = state.setdefault("postgres", {})
    pg = postgres.running(local_dir / "postgres")
    if pg is None:
        (port,) = _ports([pg_state.get("port")])
        pg = postgres.start(local_dir / "postgres", port)
        logger.info("postgresql started", extra={"pid": pg.pid, "port": pg.port})
    pg_state.update(pid=pg.pid, port=pg.port, url=pg.url)
    _save(local_dir, state)
    return pg.url


def _up_kafka(local_dir: Path, state: dict[str, Any]) -> str:
    k_state = state.setdefault("kafka", {})
    broker = _kafka_running(local_dir, k_state)
    if broker is None:
        kafka.ensure_jars(local_dir / "kafka-libs")
        port, controller_port = _ports([k_state.get("port"), k_state.get("controller_port")])
        broker = kafka.start(local_dir / "kafka", local_dir / "kafka-libs", port, controller_port)
        logger.info("kafka started", extra={"pid": broker.pid, "port": broker.port})
    k_state.update(pid=broker.pid, port=broker.port, controller_port=broker.controller_port)
    k_state["bootstrap_servers"] = broker.bootstrap_servers
    _save(local_dir, state)
    return broker.bootstrap_servers


def _given_database_url(settings: Settings) -> str:
    return settings.database_url.get_secret_value() if settings.database_url is not None else ""


def _kafka_running(local_dir: Path, k_state: dict[str, Any]) -> kafka.KafkaInfo | None:
    pid, port, controller_port = k_state.get("pid"), k_state.get("port"), k_state.get("controller_port")
    return kafka.running(local_dir / "kafka", pid, port, controller_port)


def _ports(remembered: list[int | None]) -> list[int]:
    """Reuse each remembered loopback port if it is still free, otherwise pick a new free one."""
    chosen: list[int] = []
    held: list[socket.socket] = []  # new picks stay bound until all are chosen, so none coincide
    try:
        for port in remembered:
            if port is None or port in chosen or not _port_free(port):
                port = _new_port(held, avoid={*chosen, *(p for p in remembered if p is not None)})
            chosen.append(port)
    finally:
        for sock in held:
            sock.close()
    return chosen


def _new_port(held: list[socket.socket], avoid: set[int]) -> int:
    while True:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        held.append(sock)
        port: int = sock.getsockname()[1]
        if port not in avoid:
            return port


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the servers do: TIME_WAIT is fine
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@contextlib.contextmanager
def _locked(local_dir: Path) -> Iterator[None]:
    local_dir.mkdir(parents=True, exist_ok=True)
    with open(local_dir / LOCK_FILE, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _load(local_dir: Path) -> dict[str, Any]:
    try:
        state = json.loads((local_dir / STATE_FILE).read_text())
    except FileNotFoundError:
        return {}
    except ValueError:
        logger.warning("ignoring unreadable state file", extra={"path": str(local_dir / STATE_FILE)})
        return {}
    return state if isinstance(state, dict) else {}


def _save(local_dir: Path, state: dict[str, Any]) -> None:
    path = local_dir / STATE_FILE
    scratch = path.with_name(f"{STATE_FILE}.{os.getpid()}.tmp")
    scratch.write_text(json.dumps(state, indent=2, sort_keys=True) + "\n")
    os.replace(scratch, path)
