"""What every context's application shares: one event store, the clock, commands that retry.

Every context has its own ``Application`` subclass (its own aggregates and commands), and all of them
write to one event store: one table, one notification log, one global order.  That one order is what
the relay publishes, what the audit chain seals and what an as-of rebuild cuts at an instant, for every
context alike.  Applications built with the same ``factory`` also share its connection pool.

A command loads what it needs, lets the aggregates decide, and saves everything it touched in one
``save()`` (one transaction).  A concurrent writer makes the save fail on a version conflict; the
command then runs again from fresh state (``retrying``), so invariants that span aggregates hold
under any concurrency.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, time
from typing import Any, TypeVar
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import InfrastructureFactory, IntegrityError, JSONTranscoder, Transcoding
from eventsourcing.utils import Environment
from tenacity import RetryError, Retrying, retry_if_exception_type, stop_after_attempt, wait_random_exponential

from domain.shared.clock import Clock, SystemClock
from domain.shared.errors import ConcurrencyError, IdReusedError, NotFoundError

T = TypeVar("T")

#: The event store's name: its tables are ``sessionstream_events`` and ``sessionstream_snapshots``.
EVENT_STORE_NAME = "SessionStream"
#: A command that lost this many optimistic-concurrency races in a row gives up (``ConcurrencyError``).
MAX_ATTEMPTS = 200


@dataclass(frozen=True)
class Outcome:
    """What a command answers: the aggregate it touched, its version after, and whether it was new."""

    id: UUID
    version: int
    created: bool = False


def fingerprint(values: Mapping[str, Any]) -> str:
    """A stable digest of a create's values, so a repeated create can be told from a different one."""
    canonical = json.dumps(values, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def concurrency_retries() -> Retrying:
    """The one policy for a save that lost a version race: run the command again at once, then with
    a growing random pause, so many writers of one aggregate do not collide in lock-step."""
    return Retrying(
        retry=retry_if_exception_type(IntegrityError),
        wait=wait_random_exponential(multiplier=0.001, max=0.05),
        stop=stop_after_attempt(MAX_ATTEMPTS),
        reraise=False,
    )


class DateAsISO(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class TimeAsISO(Transcoding):
    type = time
    name = "time_iso"

    def encode(self, obj: time) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> time:
        return time.fromisoformat(data)


class ContextApplication(Application):
    """The base of every context's application (see the module docstring)."""

    name = EVENT_STORE_NAME
    env = {"AGGREGATE_CACHE_MAXSIZE": "5000", "DEEPCOPY_FROM_AGGREGATE_CACHE": "y"}
    #: The context's name, as it appears in topics, type names and the audit (``eventsessions``, ...).
    context = ""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # eventsourcing names an Application subclass after itself, and its tables after that name
        # (``eventsessions_events``): every context's application, and every command mixin, must
        # keep the one store's name instead.
        super().__init_subclass__(**kwargs)
        cls.name = EVENT_STORE_NAME

    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        clock: Clock | None = None,
        factory: InfrastructureFactory | None = None,
    ) -> None:
        self._shared_factory = factory
        super().__init__(env=dict(env) if env else None)
        self.clock: Clock = clock or SystemClock()

    def construct_factory(self, env: Environment) -> InfrastructureFactory:
        """The given factory (so every context uses one pool), else a new one from ``env``."""
        return self._shared_factory if self._shared_factory is not None else super().construct_factory(env)

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        """One set for every context (eventsourcing's UUID, Decimal and datetime, plus date and time):
        whatever reads the shared log (the relay, the audit) decodes any context's events with any
        context's mapper.  A context never registers transcodings of its own."""
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())
        transcoder.register(TimeAsISO())

    def close(self) -> None:
        if self._shared_factory is None:  # a shared factory is closed by whoever made it
            super().close()

    # -- loading ----------------------------------------------------------------------------------

    def get_as(self, aggregate_id: UUID, kind: type[T], error: type[NotFoundError], label: str) -> T:
        """The aggregate, if it exists and is a ``kind``; otherwise ``error("<label> <id> not found.")``."""
        try:
            aggregate: Any = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            raise error(f"{label} {aggregate_id} not found.") from None
        if not isinstance(aggregate, kind):
            raise error(f"{label} {aggregate_id} not found.")
        return aggregate

    def exists(self, aggregate_id: UUID) -> bool:
        try:
            self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return False
        return True

    # -- commands ---------------------------------------------------------------------------------

    def retrying(self, command: Callable[[], T]) -> T:
        """Runs ``command`` until its save wins the optimistic-concurrency race (``concurrency_retries``)."""
        try:
            for attempt in concurrency_retries():
                with attempt:
                    result = command()
        except RetryError:
            raise ConcurrencyError("The command kept conflicting with concurrent writers; try again.") from None
        return result

    def create_once(
        self,
        aggregate_id: UUID | None,
        kind: type[Any],
        label: str,
        digest: str,
        create: Callable[[UUID], Outcome],
    ) -> Outcome:
        """A create with an optional client-chosen id: a repeat with the same values (the same
        ``fingerprint`` attribute) answers the first; different values raise ``IdReusedError``."""
        new_id = aggregate_id or uuid4()

        def attempt() -> Outcome:
            if aggregate_id is not None and self.exists(new_id):
                existing: Any = self.repository.get(new_id)
                if isinstance(existing, kind) and getattr(existing, "fingerprint", None) == digest:
                    return Outcome(existing.id, existing.version, created=False)
                raise IdReusedError(label)
            return create(new_id)

        return self.retrying(attempt)
