"""The service under faults, as an operator would cause them (``make faults``; long, so not in ``make test``).

Each test runs ``sessionstream run`` as a process over this checkout's local PostgreSQL and Kafka
with a load of HTTP writes, causes a fault, and ends, with no manual step, with every acknowledged
write in the event store, on Kafka and in every read model, and ``projections verify`` clean for all.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from infra.container import Container
from tests.e2e.faults import (
    DomainTopics,
    Load,
    ServiceProcess,
    assert_complete,
    assert_sealed,
    check_local,
    outage,
    record,
    snapshot,
    wait_until_delivered,
)  # fmt: skip
from tests.support.waiting import wait_for

pytestmark = pytest.mark.faults


@pytest.fixture
def pipeline(container_factory) -> Iterator[tuple[Container, DomainTopics]]:
    container = container_factory()
    container.prepare()
    check_local(container)
    kafka = DomainTopics(container)
    yield container, kafka
    kafka.close()


@pytest.fixture
def processes() -> Iterator[list[ServiceProcess]]:
    started: list[ServiceProcess] = []
    yield started
    for service in started:
        service.kill_all()


def _service(processes: list[ServiceProcess], container: Container, log_dir: Path, name: str = "service",
             *args: str, **env: str) -> ServiceProcess:  # fmt: skip
    service = ServiceProcess(container, log_dir, name, *args, env=env).start()
    processes.append(service)
    return service


def _kafka_lines(service: ServiceProcess) -> list[dict]:
    return [line for line in service.log_lines() if "kafka" in str(line.get("logger", "")) + str(line.get("name", ""))]


@pytest.mark.parametrize("seconds", [20, 150])
def test_a_broker_outage_under_load_loses_nothing_and_the_read_models_catch_up(pipeline, processes, tmp_path, seconds):
    container, kafka = pipeline
    service = _service(processes, container, tmp_path)
    service.ready()
    load = Load([service.url]).start()
    time.sleep(2)
    seen_during: list[dict] = []

    def during() -> None:
        time.sleep(min(10, seconds / 2))
        started = time.monotonic()
        body = service.readyz()
        assert time.monotonic() - started < 0.5 and body is not None
        seen_during.append(body)

    down, back = outage("kafka", seconds, during)
    writes_during = sum(1 for t in load.ok_at if down <= t <= back)
    before_back = snapshot(container)
    current_at = wait_until_delivered(container, kafka, before_back)
    time.sleep(2)
    load.stop()
    assert service.process is not None and service.process.poll() is None, "the service exited"
    assert_complete(container, kafka, load)
    # Writes went on, the instance stayed ready, and the outage was visible in its body.
    assert writes_during > 0
    assert seen_during[0]["status"] == "ok" and seen_during[0]["kafka"]["state"] == "failing"
    lines = _kafka_lines(service)
    assert len(lines) < 40, f"{len(lines)} kafka log lines for one outage"
    record(f"broker_stopped_{seconds}s", recovery_seconds=current_at - back, writes_during=writes_during,
           kafka_log_lines=len(lines), acked=len(load.acked))  # fmt: skip


@pytest.mark.parametrize(("name", "seconds"), [("postgres_restarted", 0.0), ("postgres_stopped_30s", 30.0)])
def test_a_postgresql_outage_under_load_loses_nothing_and_writes_resume(pipeline, processes, tmp_path, name, seconds):
    container, kafka = pipeline
    service = _service(processes, container, tmp_path)
    service.ready()
    load = Load([service.url]).start()
    time.sleep(2)
    answers: list[tuple[int, float]] = []

    def during() -> None:
        time.sleep(min(5, seconds / 2))
        if seconds:
            started = time.monotonic()
            answer = httpx.get(f"{service.url}/readyz", timeout=5)
            answers.append((answer.status_code, time.monotonic() - started))

    _down, back = outage("postgres", seconds, during)
    first_write = wait_for(lambda: load.first_ok_after(back), timeout=120)
    current_at = wait_until_delivered(container, kafka, snapshot(container))
    time.sleep(2)
    load.stop()
    assert service.process is not None and service.process.poll() is None, "the service exited"
    assert_complete(container, kafka, load)
    if seconds:
        assert answers and answers[0][0] == 503 and answers[0][1] < 0.5, answers
    body = service.ready()
    # The sealer waits out the outage in place (as the relay does), logs it once, and seals on from its
    # head: the chain covers the whole log, with no gap and nothing sealed twice.
    report = assert_sealed(container)
    sealer = next(w for w in body["workers"] if w["name"] == "audit:sealer")
    lines = [(line.get("event"), line.get("name")) for line in service.log_lines()]
    failing = [line for line in lines if line == ("worker failing", sealer["name"])]
    assert sealer["restarts"] == 0 and sealer["state"] == "running", sealer
    assert len(failing) <= 1, failing
    record(name, first_2xx_after_seconds=first_write - back, read_models_current_after_seconds=current_at - back,
           restarts={w["name"]: w["restarts"] for w in body["workers"] if w["restarts"]}, acked=len(load.acked),
           sealed=report.head, sealer_outages_logged=len(failing))  # fmt: skip


def test_a_relay_process_killed_inside_a_batch_resends_it_and_the_read_models_count_once(pipeline, processes, tmp_path):
    container, kafka = pipeline
    marker = tmp_path / "relay-paused"
    service = _service(processes, container, tmp_path, SESSIONSTREAM_FAULT_RELAY_PAUSE_FILE=str(marker))
    service.ready()
    load = Load([service.url]).start()
    # A relay process stops after its batch's acks, before recording its position: killed there.
    pid = int(wait_for(lambda: marker.exists() and marker.read_text(), timeout=60))
    paused = next(w for w in service.readyz()["workers"] if w.get("pid") == pid)
    os.kill(pid, signal.SIGKILL)
    killed_at = time.monotonic()
    wait_for(lambda: (w := service.worker(paused["name"]))["state"] == "running" and w.get("pid") != pid, timeout=60)
    restarted_after = time.monotonic() - killed_at
    time.sleep(3)
    load.stop()
    counts = assert_complete(container, kafka, load)
    duplicates = [key for key, n in counts.items() if n > 1]
    assert duplicates, "the killed batch was not sent again: the kill did not land inside a batch"
    assert service.worker(paused["name"])["restarts"] == 1
    record("relay_process_killed_inside_a_batch", duplicates_on_kafka=len(duplicates),
           restarted_after_seconds=restarted_after, scope=paused["name"])  # fmt: skip


def test_a_consumer_process_killed_under_load_hands_its_partitions_over(pipeline, processes, tmp_path):
    container, kafka = pipeline
    service = _service(processes, container, tmp_path)
    service.ready()
    consumers = _service(processes, container, tmp_path, "consumers", "--no-api", "--no-relay", "--no-inbound")
    load = Load([service.url]).start()

    def consumers_hold_partitions() -> bool:
        groups = {line["group"] for line in consumers.log_lines()
                  if line.get("event") == "partitions assigned" and line.get("partitions", 0) > 0}  # fmt: skip
        return len(groups) >= 6

    wait_for(consumers_hold_partitions, timeout=90)
    time.sleep(2)
    consumers.kill_all()
    killed_at = time.monotonic()
    current_at = wait_until_delivered(container, kafka, snapshot(container))
    load.stop()
    assert_complete(container, kafka, load)
    record("consumer_process_killed", read_models_current_after_seconds=current_at - killed_at)


def test_the_whole_service_killed_under_load_and_started_again_loses_nothing(pipeline, processes, tmp_path):
    container, kafka = pipeline
    first = _service(processes, container, tmp_path, "first")
    first.ready()
    relay_pids = [w["pid"] for w in first.readyz()["workers"] if w.get("pid")]
    load = Load([first.url]).start()
    time.sleep(3)
    assert first.process is not None
    first.process.send_signal(signal.SIGKILL)  # the parent only: its relay processes are orphaned
    first.process.wait(10)
    load.stop()
    # Orphaned relay processes notice their parent is gone, finish their batch and exit.
    wait_for(lambda: not any(_alive(pid) for pid in relay_pids), timeout=30)
    second = _service(processes, container, tmp_path, "second")
    second.ready()
    more = Load([second.url]).start()
    time.sleep(3)
    more.stop()
    assert_complete(container, kafka, load, more)
    assert second.stop() == 0


def test_a_second_instance_takes_over_relay_scopes_and_partitions_within_30_seconds(pipeline, processes, tmp_path):
    container, kafka = pipeline
    a = _service(processes, container, tmp_path, "a")
    a.ready()
    b = _service(processes, container, tmp_path, "b")
    b.ready()
    scopes = [w["name"] for w in a.readyz()["workers"] if w["name"].startswith("relay:")]
    held_by_a = [s for s in scopes if a.worker(s)["state"] == "running"]
    assert held_by_a and all(b.worker(s)["state"] == "standby" for s in held_by_a)
    load = Load([a.url, b.url]).start()
    time.sleep(5)
    a.kill_all()
    killed_at = time.monotonic()
    before_kill = snapshot(container)
    wait_for(lambda: all(b.worker(s)["state"] == "running" for s in scopes), timeout=30)
    relays_taken_over = time.monotonic() - killed_at
    current_at = wait_until_delivered(container, kafka, before_kill, timeout=60)
    time.sleep(2)
    load.stop()
    assert current_at - killed_at < 30, f"takeover took {current_at - killed_at:.1f}s"
    assert_complete(container, kafka, load)
    record("two_instances_takeover", relays_taken_over_seconds=relays_taken_over,
           read_models_current_after_seconds=current_at - killed_at, acked=len(load.acked))  # fmt: skip


def test_sigterm_drains_commits_and_exits_0_within_15_seconds(pipeline, processes, tmp_path):
    container, kafka = pipeline
    service = _service(processes, container, tmp_path)
    service.ready()
    relay_pids = [w["pid"] for w in service.readyz()["workers"] if w.get("pid")]
    load = Load([service.url]).start()
    time.sleep(3)
    service.signal(signal.SIGTERM)
    started = time.monotonic()
    assert service.process is not None
    code = service.process.wait(20)
    took = time.monotonic() - started
    load.stop()
    assert code == 0 and took < 15, (code, took, service.tail())
    events = [line.get("event") for line in service.log_lines()]
    assert {"stop requested", "requests stopped", "workers drained", "service stopped"} <= set(events)
    assert not any(_alive(pid) for pid in relay_pids), "relay processes outlived the service"
    again = _service(processes, container, tmp_path, "again")
    again.ready()
    assert_complete(container, kafka, load)
    record("sigterm", exit_code=code, seconds=took)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"
