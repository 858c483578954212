"""The sealer as ``sessionstream run`` runs it (in a process of its own: ``infra.audit.sealer_child``),
holding the log's advisory lock, woken by the store's NOTIFY, and waiting out a PostgreSQL outage in
place, as the relay does.

Why in place: a worker that raises is rebuilt from scratch (its container, its producer, its
sealer), and an outage of the database is not a bug of the sealer.  So a transient failure
(``consumers.error_policy``: the server restarting or unreachable, a connection lost, a pool timeout)
ends only the current attempt: the sealer shows ``retrying`` in ``/readyz``, logs once when the outage
begins and once it is over (``consumers.supervisor.Condition``; over: the sealer has sealed on for
``RECOVERED_AFTER_S``, as the supervisor judges a restarted worker, since the pools it shares with the
service refill for a moment after the server is back), waits (``TRANSIENT``: 0.1 s growing to 5 s),
takes the lock again (it went with its connection; another instance may hold it now, and the sealer
waits in ``standby``) and carries on from the head the chain table has (``Sealer.resume``): nothing is
skipped, nothing is sealed twice.  Anything else (a bug, a chain that does not match) raises.

In the child process ``infra.child.serve`` is a second layer around this one; they do not overlap.
``serve`` sees only what ``run`` raises and what fails while the work is built, and rebuilds it all,
saying ``running`` to the parent once built (the container connects lazily: before anything touched
the database).  Waiting out an outage there instead would rebuild the container and the producer on
every try, drop the checkpoints not yet acknowledged (a new sealer publishes its head only), and have
the parent log the outage over, and begun again, at every try.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import structlog
from tenacity import RetryCallState

from consumers.error_policy import TRANSIENT, transient
from consumers.supervisor import HEALTHY_AFTER_S, RECOVERED_AFTER_S, Condition, attempt_state
from infra.audit.sealer import Sealer, SealMetrics, sealer_for
from infra.postgres import AUDIT_LOCKS, advisory_lock

log = structlog.get_logger(__name__)


def retries_in_place(error: BaseException) -> bool:
    """A failure the sealer waits out itself (PostgreSQL or the broker away), rather than raising to
    its supervisor (a bug: restarted with the supervisor's backoff, and logged with its traceback)."""
    return transient(error)


class SealerRun:
    """The sealer of the container's log as a worker, ``run`` until ``stop`` (see the module docstring):
    in a process of its own under ``sessionstream run`` (``infra.audit.sealer_child``), in a thread
    (``SealerWorker``) in tests."""

    name = "audit:sealer"

    def __init__(
        self, container: Any, metrics: SealMetrics | None = None, *,
        wait: Callable[[RetryCallState], float] = TRANSIENT, recovered_after: float = RECOVERED_AFTER_S,
    ) -> None:  # fmt: skip
        self.container = container
        self.metrics = metrics
        self.wait = wait
        self.recovered_after = recovered_after
        self._attempt_started = time.monotonic()
        self.sealer: Sealer | None = None
        #: What the supervisor shows (``/readyz``) while the sealer waits for PostgreSQL in place.
        self.condition = Condition(self.name)
        self._stopping = threading.Event()

    def stop(self) -> None:
        self._stopping.set()
        if self.sealer is not None:
            self.sealer.stop()

    def run(self) -> None:
        """Seals until ``stop()``, through any number of outages; raises on anything else."""
        from infra import kafka

        # Its own producer, kept through outages: its flushes wait for its checkpoints only.
        producer = kafka.producer(self.container.endpoints.kafka_bootstrap, **{"client.id": "sessionstream-sealer"})
        failures = 0
        try:
            while not self._stopping.is_set():
                started = time.monotonic()
                try:
                    self._seal(producer)
                except Exception as error:
                    if self._stopping.is_set():
                        return
                    if not retries_in_place(error):
                        raise
                    failures = 1 if time.monotonic() - started >= HEALTHY_AFTER_S else failures + 1
                    self.condition.fail(error)  # logged when the outage begins, not on every attempt
                    self._stopping.wait(self.wait(attempt_state(failures)))
        finally:
            producer.close(10)
            if self.sealer is not None:
                self.sealer.writers.close()

    def _seal(self, producer: Any) -> None:
        """One attempt: takes the lock, then seals until stopped (returns) or until something fails (raises)."""
        from infra.postgres import NotifyWaiter

        url = self.container.endpoints.database_url
        recorder = self.container.event_store.recorder

        def standby() -> None:
            log.info("waiting for another sealer of this log to stop", name=self.name)
            self.condition.ok("standby")

        with advisory_lock(url, AUDIT_LOCKS, recorder.events_table_name, self._stopping, standby) as lock:
            if lock is None:
                return
            waiter = NotifyWaiter(url, recorder.channel_name)

            # The sealer calls these as it goes (each idle wait, each append): the outage is over once
            # this attempt has held for ``recovered_after``.
            def wait_for_new(timeout: float) -> None:
                waiter(timeout)
                self._holding()

            def still_ours() -> None:
                # Before every append, not at most once a second as the relay: the chain's primary key
                # stops a sealer that lost the lock to another (both seal the log identically, so its
                # next append starts at a position the other has sealed), but not one whose head in
                # memory is past the table's.  After a crash the last links, committed without the WAL
                # flush, may be gone; an append from the head in memory, on a new pooled connection,
                # would land past that hole with no key to stop it.  The lock's connection, gone with the
                # server, is what sends the attempt back to the table's head (``Sealer.resume``).
                lock.check()
                self._holding()

            try:
                if self.sealer is None:
                    self.sealer = sealer_for(self.container, producer, wait_for_new=wait_for_new,
                                             metrics=self.metrics, still_ours=still_ours)  # fmt: skip
                else:
                    self.sealer.resume(wait_for_new, still_ours)
                if self.metrics is not None:  # where the chain stands before anything new is sealed
                    self.metrics.on_sealed(0, self.sealer.head.position)
                self.condition.state, self._attempt_started = "running", time.monotonic()
                if not self._stopping.is_set():
                    self.sealer.run()
            finally:
                waiter.close()

    def _holding(self) -> None:
        if self.condition.failing and time.monotonic() - self._attempt_started >= self.recovered_after:
            self.condition.ok("running")


class SealerWorker(SealerRun):
    """``SealerRun`` in a thread of its own, for the benchmark and the tests."""

    def __init__(self, container: Any, metrics: SealMetrics | None = None, **kwargs: Any) -> None:
        super().__init__(container, metrics, **kwargs)
        self.error: BaseException | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._body, name=self.name, daemon=True)
        self._thread.start()

    def join(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def _body(self) -> None:
        try:
            self.run()
        except BaseException as error:  # the caller looks at it
            self.error = error
            log.exception("sealer stopped", name=self.name)
