"""The audit sealer waits out a PostgreSQL outage in place, as the relay does (no network): it retries
with a growing backoff, logs once when the outage begins and once when it ends, resumes from the chain's
head, and leaves only a bug to its supervisor."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import pytest
import structlog
from eventsourcing import persistence as es
from psycopg_pool import PoolTimeout

import infra.kafka
import infra.postgres
from infra.audit import sealer_run
from infra.audit.sealer_run import SealerRun, retries_in_place


@pytest.mark.parametrize("error", [
    psycopg.OperationalError("connection to server at 127.0.0.1 failed: Connection refused"),
    psycopg.errors.AdminShutdown("terminating connection due to administrator command"),
    psycopg.InterfaceError("the connection is closed"),
    es.OperationalError("server closed the connection unexpectedly"),
    PoolTimeout("couldn't get a connection after 5.00 sec"),
])  # fmt: skip
def test_losing_postgresql_is_waited_out_in_place(error):
    assert retries_in_place(error)


@pytest.mark.parametrize("error", [RuntimeError("a bug"), psycopg.errors.UniqueViolation("duplicate key: position")])
def test_a_bug_or_a_chain_that_does_not_fit_goes_to_the_supervisor(error):
    assert not retries_in_place(error)


class FakeSealer:
    """Seals until stopped; its first run loses PostgreSQL."""

    def __init__(self, outage: BaseException) -> None:
        self.outage: BaseException | None = outage
        self.resumed: list[Any] = []
        self.running = threading.Event()
        self.stopped = threading.Event()
        self.writers = type("Writers", (), {"close": lambda self: None})()

    def run(self) -> None:
        if self.outage is not None:
            error, self.outage = self.outage, None
            raise error
        while not self.stopped.is_set():
            self.wait_for_new(0.0)  # as the real one, when the log is quiet
            self.running.set()
            self.stopped.wait(0.01)

    def resume(self, wait_for_new: Any, still_ours: Any) -> None:
        self.resumed.append(still_ours)
        self.wait_for_new = wait_for_new

    def stop(self) -> None:
        self.stopped.set()


class Pieces:
    """What one sealer run uses, faked: the lock (down ``down`` times after the first attempt), NOTIFY,
    the producer, the sealer."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, outage: BaseException, down: int) -> None:
        self.sealer = FakeSealer(outage)
        self.built = 0
        self.attempts = 0
        self.down = down
        monkeypatch.setattr(sealer_run, "advisory_lock", self.lock)
        monkeypatch.setattr(sealer_run, "sealer_for", self.sealer_for)
        waiter = type("Waiter", (), {"__call__": lambda s, timeout: None, "close": lambda s: None})
        monkeypatch.setattr(infra.postgres, "NotifyWaiter", lambda url, channel: waiter())
        monkeypatch.setattr(infra.kafka, "producer", lambda *a, **k: type("P", (), {"close": lambda s, t: None})())

    @contextmanager
    def lock(self, url: str, namespace: str, table: str, stopping: threading.Event, waiting: Any) -> Iterator[Any]:
        self.attempts += 1
        if 1 < self.attempts <= 1 + self.down:
            raise psycopg.OperationalError("connection to server failed: Connection refused")
        yield type("Lock", (), {"check": lambda self: None})()

    def sealer_for(self, container: Any, producer: Any, **kwargs: Any) -> FakeSealer:
        self.built += 1
        self.sealer.wait_for_new = kwargs["wait_for_new"]
        return self.sealer


def _container() -> Any:
    recorder = type("Recorder", (), {"events_table_name": "events", "channel_name": "events"})()
    return type("Container", (), {
        "endpoints": type("E", (), {"database_url": "postgresql://x/y", "kafka_bootstrap": "k:9092"})(),
        "event_store": type("App", (), {"recorder": recorder})(),
    })()  # fmt: skip


def _run_until_sealing(run: SealerRun, sealer: FakeSealer) -> list[Any]:
    with structlog.testing.capture_logs() as logs:
        thread = threading.Thread(target=run.run)
        thread.start()
        assert sealer.running.wait(10), "the sealer never sealed again"
        run.stop()
        thread.join(10)
    assert not thread.is_alive()
    return logs


def test_a_postgresql_outage_is_waited_out_in_place_and_logged_once(monkeypatch):
    pieces = Pieces(monkeypatch, psycopg.errors.AdminShutdown("terminating connection"), down=4)
    waits: list[int] = []
    run = SealerRun(_container(), wait=lambda state: waits.append(state.attempt_number) or 0.0, recovered_after=0.0)

    logs = _run_until_sealing(run, pieces.sealer)

    assert waits == [1, 2, 3, 4, 5]  # the backoff grows through the outage: one run, never restarted
    assert pieces.built == 1 and len(pieces.sealer.resumed) == 1  # resumed from the chain's head, once back
    events = [line["event"] for line in logs]
    assert events.count("worker failing") == 1 and events.count("worker recovered") == 1
    assert run.condition.state == "running"


def test_the_outage_is_over_once_the_sealer_has_held_a_while_not_at_its_first_reconnection(monkeypatch):
    pieces = Pieces(monkeypatch, psycopg.OperationalError("server closed the connection unexpectedly"), down=2)
    run = SealerRun(_container(), wait=lambda state: 0.0, recovered_after=60.0)

    logs = _run_until_sealing(run, pieces.sealer)

    events = [line["event"] for line in logs]
    assert events.count("worker failing") == 1 and "worker recovered" not in events  # not yet: one outage
    assert run.condition.state == "running"  # sealing meanwhile


def test_while_postgresql_is_away_the_supervisor_sees_the_sealer_retrying(monkeypatch):
    pieces = Pieces(monkeypatch, psycopg.OperationalError("server closed the connection unexpectedly"), down=0)
    seen: list[str] = []
    run = SealerRun(_container(), wait=lambda state: seen.append(run.condition.state) or 0.0)

    _run_until_sealing(run, pieces.sealer)

    assert seen == ["retrying"]
    assert run.condition.last_error is not None and "server closed the connection" in run.condition.last_error


def test_a_bug_is_left_to_the_supervisor(monkeypatch):
    Pieces(monkeypatch, RuntimeError("a bug"), down=0)
    run = SealerRun(_container(), wait=lambda state: 0.0)

    with pytest.raises(RuntimeError, match="a bug"):
        run.run()
