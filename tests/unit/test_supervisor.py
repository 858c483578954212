"""Supervision and the error policy, without services: restarts, backoff, states, one log line per change."""

from __future__ import annotations

import threading
import time

import psycopg
import pytest
from confluent_kafka import KafkaError, KafkaException
from structlog.testing import capture_logs
from tenacity import wait_fixed

from consumers.error_policy import RESTART, Action, classify
from consumers.supervisor import Condition, Supervised, Supervisor, attempt_state
from tests.support.waiting import wait_for


class Flaky:
    """Fails ``failures`` times (counted across instances), then runs until stopped."""

    made = 0

    def __init__(self, failures: int, error: BaseException) -> None:
        self.failures = failures
        self.error = error
        self._stop = threading.Event()
        Flaky.made += 1
        self.number = Flaky.made

    def run(self) -> None:
        if self.number <= self.failures:
            raise self.error
        self._stop.wait()

    def stop(self) -> None:
        self._stop.set()


def test_a_worker_that_fails_is_restarted_until_it_runs() -> None:
    Flaky.made = 0
    worker = Supervised(
        "projection:x", lambda: Flaky(3, psycopg.OperationalError("server closed")), wait=wait_fixed(0.01)
    )
    worker.start()
    try:
        status = wait_for(lambda: (s := worker.status()).state == "running" and Flaky.made == 4 and s)
        assert status.restarts == 3 and status.up
        assert status.last_error == "OperationalError: server closed"
    finally:
        worker.stop()
        worker.join(2)
    assert worker.status().state == "stopped"


def test_a_worker_that_returns_without_being_stopped_is_restarted() -> None:
    runs: list[int] = []

    class Quitter:
        def run(self) -> None:
            runs.append(1)

        def stop(self) -> None:
            pass

    worker = Supervised("job", Quitter, wait=wait_fixed(0.01))
    worker.start()
    wait_for(lambda: len(runs) >= 3)
    worker.stop()
    worker.join(2)
    assert worker.restarts >= 2


def test_the_restart_backoff_grows_is_capped_and_jittered() -> None:
    waits = [RESTART(attempt_state(n)) for n in range(1, 12)]
    assert 0.5 <= waits[0] <= 1.5
    assert 4.0 <= waits[3] <= 5.0
    assert all(w <= 30.0 for w in waits) and waits[-1] >= 29.0


def test_stopping_the_supervisor_ends_every_worker_and_keeps_liveness() -> None:
    Flaky.made = 0
    workers = [Supervised(f"w{i}", lambda: Flaky(0, RuntimeError()), wait=wait_fixed(0.01)) for i in range(3)]
    supervisor = Supervisor(workers, interval_s=0.05)
    supervisor.start()
    wait_for(lambda: all(s.state == "running" for s in supervisor.statuses()))
    assert supervisor.alive()
    assert supervisor.stop(timeout=2) == []
    assert supervisor.alive()  # a supervisor that was asked to stop is not a dead one


def test_a_failing_dependency_is_logged_once_per_change_not_per_retry() -> None:
    condition = Condition("postgres", what="dependency")
    with capture_logs() as logs:
        for _ in range(50):
            condition.fail(psycopg.OperationalError("connection refused"))
        condition.ok()
        condition.ok()
    assert [entry["event"] for entry in logs] == ["dependency failing", "dependency recovered"]


@pytest.mark.parametrize(
    ("error", "action"),
    [
        (psycopg.OperationalError("server closed the connection unexpectedly"), Action.RETRY),
        (psycopg.errors.AdminShutdown("terminating connection"), Action.RETRY),
        (psycopg.errors.SerializationFailure("could not serialize"), Action.RETRY),
        (KafkaException(KafkaError(KafkaError._TRANSPORT)), Action.RETRY),
        (KafkaException(KafkaError(KafkaError._MSG_TIMED_OUT)), Action.RETRY),
        (psycopg.errors.NumericValueOutOfRange("integer out of range"), Action.DEAD_LETTER),
        (psycopg.DataError("PostgreSQL text fields cannot contain NUL (0x00) bytes"), Action.DEAD_LETTER),
        (ValueError("bad JSON"), Action.DEAD_LETTER),
        (psycopg.errors.UndefinedTable("relation does not exist"), Action.STOP),
        (AssertionError(), Action.STOP),
    ],
)
def test_each_failure_is_told_transient_permanent_for_the_record_or_a_bug(error: BaseException, action: Action) -> None:
    assert classify(error) is action


def test_a_worker_that_recovers_is_reported_once_it_held(monkeypatch: pytest.MonkeyPatch) -> None:
    import consumers.supervisor as supervisor

    monkeypatch.setattr(supervisor, "RECOVERED_AFTER_S", 0.05)
    Flaky.made = 0
    worker = Supervised("relay:x", lambda: Flaky(1, ConnectionError("refused")), wait=wait_fixed(0.01))
    with capture_logs() as logs:
        worker.start()
        wait_for(lambda: Flaky.made == 2)
        time.sleep(0.1)
        wait_for(lambda: worker.status() and not worker.condition.failing)
        worker.stop()
        worker.join(2)
    assert [e["event"] for e in logs if e["event"].startswith("worker")] == ["worker failing", "worker recovered"]
