"""Supervision: every worker of the service runs under a supervisor that restarts it, forever.

A worker is anything with ``run()`` (blocks until it ends) and ``stop()`` (asks it to finish its
current batch and return): a consumer runner, a periodic job, a relay child process.  Its
``Supervised`` wrapper builds a fresh one (``make()``), runs it in a thread, and when it raises (or
returns without being asked to stop) records the error, waits (``error_policy.RESTART``: capped
exponential backoff with jitter) and builds the next one.  Nothing is lost by a restart: a consumer
seeks to the offsets stored with its read model, a relay to its recorded position.

What a worker may tell its supervisor (all optional): ``condition`` (a ``Condition`` it keeps while
it retries a dependency in place, so a worker that waits for PostgreSQL shows as ``retrying``
without being restarted) and ``lag()`` (events and seconds behind).  The ``Supervisor`` samples
every worker once a second (``Status``) for ``/readyz`` and the metrics, and beats a heartbeat that
``/livez`` checks.

Logs: one line when a worker starts failing and one when it recovers, not one per retry.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import structlog
from tenacity import RetryCallState

from consumers.error_policy import RESTART, transient

log = structlog.get_logger(__name__)

#: A worker that ran this long without failing has recovered: the next failure starts the
#: backoff from its first step again.
HEALTHY_AFTER_S = 10.0
#: A restarted worker still running after this long is said to have recovered (logged once).
RECOVERED_AFTER_S = 3.0


class Runnable(Protocol):
    def run(self) -> None: ...
    def stop(self) -> None: ...


class Hooks(Protocol):
    """What the supervisor reports (the Prometheus side lives in ``infra.metrics``)."""

    def on_status(self, status: Status) -> None: ...
    def on_restart(self, name: str, error: BaseException) -> None: ...


@dataclass(frozen=True)
class Status:
    name: str
    state: str  # starting | running | standby | retrying | restarting | stopped
    up: bool
    restarts: int
    last_error: str | None
    last_error_at: float | None  # unix time
    lag_events: int | None
    lag_seconds: float | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "state": self.state, "up": self.up, "restarts": self.restarts,
            "last_error": self.last_error,
            "last_error_at": None if self.last_error_at is None else round(self.last_error_at, 3),
            "lag_events": self.lag_events,
            "lag_seconds": None if self.lag_seconds is None else round(self.lag_seconds, 3),
        }  # fmt: skip


def describe(error: BaseException) -> str:
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"{type(error).__name__}: {text[:300]}" if text else type(error).__name__


class Condition:
    """A worker's or a dependency's condition, logged once per change (failing -> ok), not per retry."""

    def __init__(self, name: str, what: str = "worker") -> None:
        self.name = name
        self.what = what
        self.state = "starting"
        self.last_error: str | None = None
        self.last_error_at: float | None = None
        self.failing_since: float | None = None
        self._lock = threading.Lock()

    @property
    def failing(self) -> bool:
        return self.failing_since is not None

    def fail(self, error: BaseException | str, state: str = "retrying") -> None:
        text = error if isinstance(error, str) else describe(error)
        with self._lock:
            first = self.failing_since is None
            self.state, self.last_error, self.last_error_at = state, text, time.time()
            if first:
                self.failing_since = time.monotonic()
        if first:
            log.warning(f"{self.what} failing", name=self.name, state=state, error=text)

    def ok(self, state: str = "running") -> None:
        with self._lock:
            since, self.failing_since, self.state = self.failing_since, None, state
        if since is not None:
            log.info(f"{self.what} recovered", name=self.name, state=state,
                     down_seconds=round(time.monotonic() - since, 1))  # fmt: skip


class Supervised:
    """One worker under supervision (see the module docstring)."""

    def __init__(
        self, name: str, make: Callable[[], Runnable], *, wait: Callable[[RetryCallState], float] = RESTART,
        hooks: Hooks | None = None,
    ) -> None:  # fmt: skip
        self.name = name
        self.make = make
        self.wait = wait
        self.hooks = hooks
        self.restarts = 0
        self.condition = Condition(name)
        self.current: Runnable | None = None
        self.thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._failures = 0  # consecutive, for the backoff
        self._run_started = time.monotonic()

    def start(self) -> None:
        self.thread = threading.Thread(target=self._loop, name=f"supervised:{self.name}", daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self._stop.set()
        current = self.current
        if current is not None:
            current.stop()

    def join(self, timeout: float | None = None) -> None:
        if self.thread is not None:
            self.thread.join(timeout)

    def kill(self) -> None:
        """For a worker that did not stop in time: ends it at once if it can be (a child process)."""
        kill = getattr(self.current, "kill", None)
        if kill is not None:
            kill()

    @property
    def alive(self) -> bool:
        """The supervising thread runs (it ends only when asked to stop)."""
        return self.thread is not None and (self.thread.is_alive() or self._stop.is_set())

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                self.current = self.make()
                if self._stop.is_set():
                    break
                self.condition.state = "running"
                self._run_started = time.monotonic()
                self.current.run()
                if self._stop.is_set():
                    break
                raise RuntimeError("the worker returned without being asked to stop")
            except BaseException as error:  # noqa: BLE001 - a supervisor outlives every failure of its worker
                if self._stop.is_set():
                    break
                self._failed(error, time.monotonic() - started)
            finally:
                self.current = None
        self.condition.state = "stopped"

    def _failed(self, error: BaseException, ran_for: float) -> None:
        self.restarts += 1
        self._failures = 1 if ran_for >= HEALTHY_AFTER_S else self._failures + 1
        if not self.condition.failing and not transient(error):
            # A bug, not an outage: worth its traceback, once.
            log.error("worker raised", name=self.name, exc_info=error)
        self.condition.fail(error, state="restarting")
        if self.hooks:
            self.hooks.on_restart(self.name, error)
        pause = self.wait(attempt_state(self._failures))
        self._stop.wait(pause)

    def status(self) -> Status:
        current = self.current
        inner: Condition | None = getattr(current, "condition", None)
        state = self.condition.state
        last_error, last_error_at = self.condition.last_error, self.condition.last_error_at
        if inner is not None and state == "running":
            state = inner.state  # "starting" until the worker says it runs (a relay process: once ready)
            if inner.last_error_at is not None and (last_error_at is None or inner.last_error_at > last_error_at):
                last_error, last_error_at = inner.last_error, inner.last_error_at
        # Back on its feet: said once it has held for a while (a worker failing at once again
        # would otherwise flap between "failing" and "recovered" in the log).
        if (
            self.condition.failing
            and current is not None
            and state == "running"
            and time.monotonic() - self._run_started >= RECOVERED_AFTER_S
        ):
            self.condition.ok()
        lag = _lag_of(current) if state in ("running", "retrying") else None
        return Status(
            self.name, state, up=state in ("running", "standby"), restarts=self.restarts,
            last_error=last_error, last_error_at=last_error_at,
            lag_events=None if lag is None else lag[0], lag_seconds=None if lag is None else lag[1],
        )  # fmt: skip


def _lag_of(worker: Any) -> tuple[int, float] | None:
    measure = getattr(worker, "lag", None)
    if measure is None:
        return None
    try:
        return measure()  # type: ignore[no-any-return]
    except Exception:  # noqa: BLE001 - a closing consumer may refuse: no figure this time
        return None


def attempt_state(number: int) -> RetryCallState:
    state = RetryCallState(retry_object=None, fn=None, args=(), kwargs={})  # type: ignore[arg-type]
    state.attempt_number = number
    return state


class Supervisor:
    """The service's workers, sampled once a second; ``alive`` is what ``/livez`` checks."""

    def __init__(self, workers: Sequence[Supervised], hooks: Hooks | None = None, interval_s: float = 1.0) -> None:
        self.workers = list(workers)
        self.hooks = hooks
        self.interval_s = interval_s
        self.beat = time.monotonic()
        self.samplers: list[Callable[[], None]] = []  # extra once-a-second jobs (the log head, ...)
        self._statuses: dict[str, Status] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        for worker in self.workers:
            worker.start()
        self._sample()
        self._thread = threading.Thread(target=self._watch, name="supervisor", daemon=True)
        self._thread.start()

    def stop(self, timeout: float) -> list[str]:
        """Asks every worker to finish, waits up to ``timeout``; returns those that did not end in time."""
        self._stop.set()
        for worker in self.workers:
            worker.stop()
        deadline = time.monotonic() + timeout
        for worker in self.workers:
            worker.join(max(0.0, deadline - time.monotonic()))
        if self._thread is not None:
            self._thread.join(2)
        late = [w for w in self.workers if w.thread is not None and w.thread.is_alive()]
        for worker in late:
            worker.kill()
        return [w.name for w in late]

    def alive(self, stale_after_s: float = 10.0) -> bool:
        """The supervisor's own thread beats and every supervising thread runs."""
        if self._stop.is_set():
            return True
        beating = time.monotonic() - self.beat < stale_after_s
        return beating and self._thread is not None and self._thread.is_alive() and all(w.alive for w in self.workers)

    def statuses(self) -> list[Status]:
        return [self._statuses.get(w.name) or w.status() for w in self.workers]

    def _watch(self) -> None:
        while not self._stop.wait(self.interval_s):
            self._sample()

    def _sample(self) -> None:
        self.beat = time.monotonic()
        for sampler in self.samplers:
            try:
                sampler()
            except Exception:  # a sampler that fails must not stop the heartbeat (logged)
                log.debug("sampler failed", exc_info=True)
        for worker in self.workers:
            status = worker.status()
            self._statuses[worker.name] = status
            if self.hooks:
                self.hooks.on_status(status)
