"""What every music command shares: loading, and the A.5 re-evaluation of instances after a change."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError

from domain.music.errors import InstanceNotFoundError, SessionNotFoundError
from domain.music.instance import SessionInstance
from domain.music.patterns import parse_time
from domain.music.schedule import LOOKAHEAD, candidate_dates, is_active
from domain.music.session import Session
from domain.music.session_registry import REGISTRY_ID, SessionRegistry
from domain.shared.application import ContextApplication

T = TypeVar("T")
#: Stripes of the per-aggregate locks (``one_at_a_time``): a bounded set, shared by hash.
LOCK_STRIPES = 256


class MusicApplicationBase(ContextApplication):
    context = "music"

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._stripes = tuple(threading.Lock() for _ in range(LOCK_STRIPES))

    def one_at_a_time(self, aggregate_id: UUID, command: Callable[[], T]) -> T:
        """Runs ``command`` (with its retries) while no other command of this process runs on the same
        aggregate: writers of one busy aggregate (a tune log fed by several phones) queue here instead of
        losing version races to each other, so each save succeeds at the first attempt.  Writers in
        other processes still meet optimistic concurrency, as before."""
        with self._stripes[aggregate_id.int % LOCK_STRIPES]:
            return command()

    # -- loading ---------------------------------------------------------------------------------------

    def get_session(self, session_id: UUID) -> Session:
        try:
            session: Aggregate = self.repository.get(session_id)
        except AggregateNotFoundError:
            raise SessionNotFoundError() from None
        if not isinstance(session, Session):
            raise SessionNotFoundError()
        return session

    def get_instance(self, instance_id: UUID) -> SessionInstance:
        try:
            instance: Aggregate = self.repository.get(instance_id)
        except AggregateNotFoundError:
            raise InstanceNotFoundError() from None
        if not isinstance(instance, SessionInstance) or instance.deleted:
            raise InstanceNotFoundError()
        return instance

    def registry(self) -> SessionRegistry:
        """The registry of sessions; created the first time anything needs it."""
        try:
            registry: Aggregate = self.repository.get(REGISTRY_ID)
        except AggregateNotFoundError:
            with contextlib.suppress(IntegrityError):  # another writer started it first
                self.save(SessionRegistry.start())
            registry = self.repository.get(REGISTRY_ID)
        assert isinstance(registry, SessionRegistry)
        return registry

    def session_ids(self) -> list[UUID]:
        return list(self.registry().session_ids)

    # -- the active window (A.5) ------------------------------------------------------------------------

    def evaluate_activity(
        self, session: Session, instances: Iterable[SessionInstance], now: datetime
    ) -> list[SessionInstance]:
        """A.5: sets ``is_active`` to the predicate at ``now + 60 s`` where it differs, and keeps the
        session's list of active instances equal; returns the instances that changed (save them with
        the session)."""
        at = now + LOOKAHEAD
        changed: dict[UUID, bool] = {}
        touched: list[SessionInstance] = []
        for instance in instances:
            active = not instance.deleted and is_active(
                day=date.fromisoformat(instance.date),
                start_time=parse_time(instance.start_time),
                end_time=parse_time(instance.end_time),
                is_cancelled=instance.is_cancelled,
                tz=session.timezone,
                before_minutes=session.active_buffer_minutes_before,
                after_minutes=session.active_buffer_minutes_after,
                termination_date=session.termination,
                at=at,
            )
            if instance.set_active(active, now):
                touched.append(instance)
            changed[instance.id] = active
        session.note_activity(changed)
        return touched

    def activity_candidates(self, session: Session, now: datetime) -> list[SessionInstance]:
        """MU-20: the instances whose flag may differ at ``now + 60 s``: those flagged active, and those
        whose local date lets their window reach that instant."""
        low, high = candidate_dates(
            now + LOOKAHEAD, session.timezone, session.active_buffer_minutes_before, session.active_buffer_minutes_after
        )
        ids = dict.fromkeys([*map(UUID, session.active_instances), *session.instances_between(low, high)])
        return [self.get_instance(instance_id) for instance_id in ids]
