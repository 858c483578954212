"""What the fault tests share: the service as a process, a load of HTTP writes, outages of the local
PostgreSQL and Kafka, and the final check that nothing acknowledged was lost or counted twice.

The tests stop and start this checkout's own local services (``infra.local.services``): the
endpoints must be those (a shared server is never stopped: the fixture refuses it).  Measurements go
to ``<local_dir>/fault-results.json`` and to the test's output.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import psycopg

from infra.container import Container
from infra.local import services
from infra.rebuild import verify
from infra.settings import PROJECT_ROOT, get_settings
from producers import topics
from producers.catalogue import DECODERS
from projections.catalogue import PROJECTIONS
from tests.support.service import WRITE_TOKEN
from tests.support.waiting import wait_for

START = datetime(2028, 3, 1, 9, tzinfo=timezone.utc)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def check_local(container: Container) -> None:
    """The fault tests stop and start services: only ours, never one given from elsewhere."""
    status = services.status(get_settings())
    assert container.endpoints.kafka_bootstrap == status["kafka"]["url"], "the broker is not this checkout's"
    assert f":{status['postgres']['port']}/" in container.endpoints.database_url, "PostgreSQL is not this checkout's"


def outage(name: str, seconds: float, during: Callable[[], None] | None = None) -> tuple[float, float]:
    """Stops a local service, keeps it down ``seconds`` (``during`` runs meanwhile), starts it again;
    returns (down at, back at), monotonic."""
    settings = get_settings()
    services.stop_service(settings, name)
    down = time.monotonic()
    if during is not None:
        during()
    time.sleep(max(0.0, seconds - (time.monotonic() - down)))
    services.start_service(settings, name)
    return down, time.monotonic()


def record(name: str, **figures: Any) -> None:
    path = get_settings().local_dir / "fault-results.json"
    results = json.loads(path.read_text()) if path.exists() else {}
    results[name] = {k: round(v, 2) if isinstance(v, float) else v for k, v in figures.items()}
    path.write_text(json.dumps(results, indent=2, sort_keys=True))
    print(f"\n{name}: {results[name]}")


class ServiceProcess:
    """``sessionstream run`` (or part of it) as a child process, JSON logs in a file."""

    def __init__(self, container: Container, log_dir: Path, name: str = "service", *args: str,
                 env: dict[str, str] | None = None) -> None:  # fmt: skip
        self.port = free_port()
        self.log_path = log_dir / f"{name}.log"
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = container.settings.child_env(
            DATABASE_URL=container.endpoints.database_url,
            KAFKA_BOOTSTRAP_SERVERS=container.endpoints.kafka_bootstrap,
            SESSIONSTREAM_TOPIC_PREFIX=container.settings.topic_prefix,
            SESSIONSTREAM_HTTP_PORT=str(self.port),
            SESSIONSTREAM_API_TOKENS=f"{WRITE_TOKEN}:write",
            SESSIONSTREAM_LOG_JSON="1",
            SESSIONSTREAM_LOG_LEVEL="INFO",
            **(env or {}),
        )  # fmt: skip
        self.args = args
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> ServiceProcess:
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "infra.cli.main", "run", *self.args], env=self.env, cwd=PROJECT_ROOT,
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        return self

    def ready(self, timeout: float = 120) -> dict[str, Any]:
        """Waits for /readyz 200 with every worker up."""

        def check() -> dict[str, Any] | None:
            assert self.process is not None and self.process.poll() is None, f"the service exited: {self.tail()}"
            body = self.readyz()
            return body if body and body.get("status") == "ok" and all(w["up"] for w in body["workers"]) else None

        return wait_for(check, timeout=timeout, interval=0.25)

    def readyz(self) -> dict[str, Any] | None:
        try:
            return httpx.get(f"{self.url}/readyz", timeout=2).json()  # type: ignore[no-any-return]
        except (httpx.HTTPError, ValueError):
            return None

    def worker(self, name: str) -> dict[str, Any]:
        body = self.readyz()
        assert body is not None
        return next(w for w in body["workers"] if w["name"] == name)

    def signal(self, sig: int) -> None:
        assert self.process is not None
        self.process.send_signal(sig)

    def kill_all(self) -> None:
        """SIGKILL to the service and its relay children (its whole process group)."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self, timeout: float = 20) -> int:
        if self.process is None:
            return 0
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                return self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill_all()
        return int(self.process.returncode)

    def log_lines(self) -> list[dict[str, Any]]:
        lines = []
        for line in self.log_path.read_text(errors="replace").splitlines():
            try:
                lines.append(json.loads(line))
            except ValueError:
                lines.append({"event": line})
        return lines

    def tail(self, n: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""


@dataclass
class Load:
    """HTTP writes in a thread: registrations into a few sessions, every third one confirmed after.
    ``acked`` holds (aggregate id, version) of every 2xx; ``ok_at`` the monotonic time of each."""

    urls: list[str]
    rate: float = 25.0
    acked: list[tuple[str, int]] = field(default_factory=list)
    ok_at: list[float] = field(default_factory=list)
    failures: int = 0
    sessions: list[tuple[str, str]] = field(default_factory=list)  # (event id, session id)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> Load:
        self._thread = threading.Thread(target=self._run, name="load", daemon=True)
        self._thread.start()
        wait_for(lambda: len(self.acked) >= 20, timeout=60)
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(30)

    def first_ok_after(self, instant: float) -> float | None:
        later = [t for t in self.ok_at if t >= instant]
        return min(later) if later else None

    def _run(self) -> None:
        headers = {"Authorization": f"Bearer {WRITE_TOKEN}"}
        clients = [httpx.Client(base_url=u, headers=headers, timeout=5) for u in self.urls]
        turn = 0
        pending: list[str] = []
        try:
            while not self._stop.is_set():
                client = clients[turn % len(clients)]
                turn += 1
                try:
                    self._write(client, pending, turn)
                except httpx.HTTPError:
                    self.failures += 1
                self._stop.wait(1 / self.rate)
        finally:
            for c in clients:
                c.close()

    def _write(self, client: httpx.Client, pending: list[str], turn: int) -> None:
        if len(self.sessions) < 3:
            event = self._ok(client.post("/events", json={"name": f"Load {uuid.uuid4().hex[:6]}", "use_sessions": True,
                                                          "seats_limited": True, "seats_max": 100_000}))  # fmt: skip
            if event is None:
                return
            begin = START + timedelta(days=len(self.sessions))
            session = self._ok(client.post(f"/events/{event['id']}/sessions", json={
                "date_begin": begin.isoformat(), "date_end": (begin + timedelta(hours=2)).isoformat()}))  # fmt: skip
            if session is not None:
                self.sessions.append((event["id"], session["id"]))
            return
        if pending and turn % 3 == 0:
            self._ok(client.post(f"/registrations/{pending.pop()}/confirm"))
            return
        event_id, session_id = self.sessions[turn % len(self.sessions)]
        body = {"event_id": event_id, "session_id": session_id, "name": f"p{turn}", "email": f"p{turn}@example.org"}
        answer = self._ok(client.post("/registrations", json=body))
        if answer is not None:
            pending.append(answer["id"])

    def _ok(self, response: httpx.Response) -> dict[str, Any] | None:
        if response.status_code // 100 != 2:
            self.failures += 1
            return None
        body: dict[str, Any] = response.json()
        self.acked.append((body["id"], body["version"]))
        self.ok_at.append(time.monotonic())
        return body


class DomainTopics:
    """Every domain topic of a container, read incrementally: how many records carry each
    (aggregate id, version), and which aggregates each topic carries.  After a broker outage the
    reader starts over (kafka-python's own reconnection is slow), so it never measures itself."""

    def __init__(self, container: Container) -> None:
        self.bootstrap = container.endpoints.kafka_bootstrap
        self.logical = {topics.physical(t, container.settings.topic_prefix): t for t in DECODERS}
        self.consumer: Any = None
        self._open()

    def _open(self) -> None:
        from kafka import KafkaConsumer, TopicPartition

        self.consumer = KafkaConsumer(bootstrap_servers=self.bootstrap, enable_auto_commit=False,
                                      request_timeout_ms=5000)  # fmt: skip
        self.parts = [TopicPartition(name, p) for name in self.logical
                      for p in self.consumer.partitions_for_topic(name) or ()]  # fmt: skip
        self.consumer.assign(self.parts)
        self.consumer.seek_to_beginning(*self.parts)
        self.counts: dict[tuple[str, int], int] = {}
        self.aggregates: dict[str, set[str]] = {t: set() for t in DECODERS}

    def read(self) -> DomainTopics:
        """Reads up to the ends of the topics as of now (what it has, if the broker does not answer)."""
        from kafka.errors import KafkaError

        if len({tp.topic for tp in self.parts}) < len(self.logical):
            # Opened while the broker was coming back: some topics had no partitions yet (it read
            # nothing of them, for good: a run waited 240 s on it).  Start over until all are known.
            self.close()
            try:
                self._open()
            except KafkaError:
                return self
        try:
            self._read()
        except KeyError:
            # kafka-python's end_offsets() leaves out a partition whose leader is not elected yet (the
            # broker just came back) and then fails on it: ask again at the next read.
            return self
        except KafkaError:
            self.close()
            with contextlib.suppress(KafkaError):
                self._open()
        return self

    def _read(self) -> None:
        ends = self.consumer.end_offsets(self.parts)
        while any(self.consumer.position(tp) < ends[tp] for tp in self.parts):
            for batch in self.consumer.poll(timeout_ms=200).values():
                for r in batch:
                    headers = dict(r.headers)
                    aggregate_id = headers["aggregate_id"].decode()
                    key = (aggregate_id, int(headers["aggregate_version"]))
                    self.counts[key] = self.counts.get(key, 0) + 1
                    self.aggregates[self.logical[r.topic]].add(aggregate_id)

    def followed(self) -> dict[str, set[str]]:
        """The aggregates each read model sees on its topics."""
        return {
            name: set().union(*(self.aggregates.get(t, set()) for t in p.topics)) for name, p in PROJECTIONS.items()
        }

    def close(self) -> None:
        with contextlib.suppress(Exception):  # a reader closing over a dead broker
            self.consumer.close()


def _rows(container: Container, query: str) -> list[tuple[Any, ...]]:
    """A fresh connection per check: the test's pools meet the outages too, and would measure their
    own reconnection backoff instead of the service's recovery."""
    with psycopg.connect(container.endpoints.database_url, connect_timeout=2) as conn:
        return conn.execute(query).fetchall()  # type: ignore[arg-type]


def stored(container: Container) -> set[tuple[str, int]]:
    recorder = container.event_store.recorder
    table = f"{recorder.datastore.schema or 'public'}.{recorder.events_table_name}"
    rows = _rows(container, f"SELECT originator_id, originator_version FROM {table}")
    return {(str(a), int(v)) for a, v in rows}


def snapshot(container: Container) -> set[tuple[str, int]]:
    """The events stored so far (what the pipeline must deliver, whatever comes after)."""
    return _retrying(lambda: stored(container))


def wait_until_delivered(
    container: Container, kafka: DomainTopics, events: set[tuple[str, int]], timeout: float = 240
) -> float:
    """Waits until ``events`` are all on Kafka and in every read model that follows their aggregate;
    returns when (monotonic)."""
    latest: dict[str, int] = {}
    for aggregate_id, version in events:
        latest[aggregate_id] = max(version, latest.get(aggregate_id, 0))

    def delivered() -> bool:
        if events - set(kafka.read().counts):
            return False
        return bool(_retrying(lambda: _read_models_have(container, kafka.followed(), latest)))

    wait_for(delivered, timeout=timeout, interval=0.1)
    return time.monotonic()


def _read_models_have(container: Container, followed: dict[str, set[str]], latest: dict[str, int]) -> bool:
    rows = _rows(container, "SELECT projection, aggregate_id, version FROM readmodels.projection_versions")
    have: dict[tuple[str, str], int] = {(p, str(a)): v for p, a, v in rows}
    return all(
        have.get((name, aggregate_id), 0) >= version
        for name, aggregates in followed.items()
        for aggregate_id, version in latest.items() if aggregate_id in aggregates
    )  # fmt: skip


def assert_sealed(container: Container, timeout: float = 60) -> Any:
    """The chain catches up with the log and ``audit verify`` finds it intact, checkpoints included."""
    from infra.audit import verify as audit
    from producers.audit import AUDIT_CHECKPOINTS

    head = _retrying(lambda: stored_head(container))
    wait_for(lambda: _retrying(lambda: _rows(container, "SELECT max(position) FROM public.audit_chain"))[0][0] >= head,
             timeout=timeout)  # fmt: skip
    app = container.event_store
    topic = topics.physical(AUDIT_CHECKPOINTS, container.settings.topic_prefix)
    checkpoints = audit.read_checkpoints(container.endpoints.kafka_bootstrap, topic, app.recorder.events_table_name)
    report = audit.verify(app, checkpoints)
    assert report.intact and report.head >= head, report.summary()
    return report


def stored_head(container: Container) -> int:
    recorder = container.event_store.recorder
    table = f"{recorder.datastore.schema or 'public'}.{recorder.events_table_name}"
    return int(_rows(container, f"SELECT max(notification_id) FROM {table}")[0][0] or 0)


def _retrying(read: Callable[[], Any], attempts: int = 20) -> Any:
    """The test's own pools meet the same outages as the service: a broken connection is tried again."""
    for attempt in range(attempts):
        try:
            return read()
        except psycopg.OperationalError:
            if attempt == attempts - 1:
                raise
            time.sleep(0.5)


def assert_complete(container: Container, kafka: DomainTopics, *loads: Load) -> dict[tuple[str, int], int]:
    """Every acknowledged write in the event store, on Kafka and in every read model; verify clean.
    Returns how many records carry each event (duplicates are allowed on Kafka, never in a count)."""
    in_store = snapshot(container)  # the dispatcher may still write: check what was there now
    wait_until_delivered(container, kafka, in_store)
    latest: dict[str, int] = {}
    for aggregate_id, version in in_store:
        latest[aggregate_id] = max(version, latest.get(aggregate_id, 0))
    lost = [(a, v) for load in loads for a, v in load.acked if latest.get(a, 0) < v]
    assert not lost, f"{len(lost)} acknowledged writes missing from the event store: {lost[:5]}"
    on_kafka = dict(kafka.counts)  # the last read had every stored event (wait_until_delivered)
    # The test's own pools hold connections the outage broke: replace them before verifying.
    container.pool.check()
    container.event_store.recorder.datastore.pool.check()
    for projection in PROJECTIONS.values():
        found = verify(container.event_store, container.pool, projection, settle_seconds=10)
        assert found == [], f"{projection.name}: {found[:5]}"
    return on_kafka
