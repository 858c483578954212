"""The clock-driven passes (A.4, A.5, A.8): auto-create, then the active window, over every session.

Each session is its own command (its own retries, its own transaction); an error in one is collected
and the run goes on with the next (A.8).  Only a failure to list the sessions stops a run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from uuid import UUID

from domain.music.commands.base import MusicApplicationBase
from domain.music.instance import SessionInstance
from domain.music.schedule import is_eligible_for_auto_create, plan_auto_create
from domain.shared.application import fingerprint
from domain.shared.clock import as_utc


@dataclass(frozen=True)
class SessionAutoCreated:
    """A.4 result row: ``{session_id, session_name, instances_created, dates}``."""

    session_id: UUID
    session_name: str
    instances_created: int
    dates: tuple[date, ...]
    instance_ids: tuple[UUID, ...] = ()


@dataclass(frozen=True)
class SessionError:
    """A.4 result row: ``{session_id, error}``."""

    session_id: UUID
    error: str


@dataclass(frozen=True)
class AutoCreateResult:
    auto_created: tuple[SessionAutoCreated, ...] = ()
    errors: tuple[SessionError, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """A.4's shape: dates as ISO strings, ids as strings."""
        return {
            "auto_created": [
                {"session_id": str(row.session_id), "session_name": row.session_name,
                 "instances_created": row.instances_created, "dates": [d.isoformat() for d in row.dates]}
                for row in self.auto_created
            ],
            "errors": [{"session_id": str(row.session_id), "error": row.error} for row in self.errors],
        }  # fmt: skip


@dataclass(frozen=True)
class ActivityChanges:
    activated: tuple[UUID, ...] = ()
    deactivated: tuple[UUID, ...] = ()


@dataclass(frozen=True)
class ActiveWindowResult:
    activated: tuple[UUID, ...] = ()
    deactivated: tuple[UUID, ...] = ()
    errors: tuple[SessionError, ...] = ()


@dataclass(frozen=True)
class TickResult:
    """One cron tick: auto-create first, then the active window (A.4 ordering DECISION)."""

    at: datetime
    auto_create: AutoCreateResult = field(default_factory=AutoCreateResult)
    active_window: ActiveWindowResult = field(default_factory=ActiveWindowResult)


class ClockJobs(MusicApplicationBase):
    def tick(self, now: datetime | None = None) -> TickResult:
        """A.8: one tick at ``now`` (default: the clock); ``sessionstream music tick --at`` passes it."""
        at = as_utc(now) if now is not None else self.clock.now()
        return TickResult(at, self.auto_create(at), self.refresh_active(at))

    # -- auto-create (A.4) ---------------------------------------------------------------------------------

    def auto_create(self, now: datetime | None = None) -> AutoCreateResult:
        at = as_utc(now) if now is not None else self.clock.now()
        created: list[SessionAutoCreated] = []
        errors: list[SessionError] = []
        for session_id in self.session_ids():
            try:
                row = self.auto_create_for(session_id, at)
            except Exception as error:  # noqa: BLE001 - A.8: collected per session, the run goes on
                errors.append(SessionError(session_id, str(error) or type(error).__name__))
                continue
            if row is not None and row.instances_created:
                created.append(row)
        return AutoCreateResult(tuple(created), tuple(errors))

    def auto_create_for(self, session_id: UUID, now: datetime) -> SessionAutoCreated | None:
        """A.4 for one session (None: not eligible).  Instance ids come from ``Session.auto_instance_id``, so
        a racing run builds the same ids and loses the save; its retry then finds the dates occupied."""

        def attempt() -> SessionAutoCreated | None:
            session = self.get_session(session_id)
            schedule = session.schedule()
            if not is_eligible_for_auto_create(session.auto_create_instances, schedule, now):
                return None
            hours = session.auto_create_hours_ahead
            planned = plan_auto_create(schedule, now=now, hours_ahead=hours, occupied=session.occupied_dates())
            instances = []
            for occurrence in planned:
                assert occurrence.start_time is not None and occurrence.end_time is not None  # planned ones have times
                values: dict[str, Any] = {
                    "session_id": session.id, "date": occurrence.date.isoformat(),
                    "start_time": f"{occurrence.start_time:%H:%M}", "end_time": f"{occurrence.end_time:%H:%M}",
                }  # fmt: skip
                instance = SessionInstance(
                    id=session.auto_instance_id(occurrence.date), **values, location_override=None, comments=None,
                    created_by=None, auto_created=True, horizon_hours=hours, created_at=now,
                    fingerprint=fingerprint(values),
                )  # fmt: skip
                session.list_instance(instance.id, occurrence.date)
                instances.append(instance)
            if instances:
                self.save(session, *instances)
            return SessionAutoCreated(
                session.id, session.name, len(instances), tuple(o.date for o in planned), tuple(i.id for i in instances)
            )

        result: SessionAutoCreated | None = self.retrying(attempt)
        return result

    # -- the active window (A.5) -------------------------------------------------------------------------

    def refresh_active(self, now: datetime | None = None) -> ActiveWindowResult:
        at = as_utc(now) if now is not None else self.clock.now()
        activated: list[UUID] = []
        deactivated: list[UUID] = []
        errors: list[SessionError] = []
        for session_id in self.session_ids():
            try:
                changes = self.refresh_session_activity(session_id, at)
            except Exception as error:  # noqa: BLE001 - A.8: collected per session, the run goes on
                errors.append(SessionError(session_id, str(error) or type(error).__name__))
                continue
            activated += changes.activated
            deactivated += changes.deactivated
        return ActiveWindowResult(tuple(activated), tuple(deactivated), tuple(errors))

    def refresh_session_activity(self, session_id: UUID, now: datetime) -> ActivityChanges:
        """A.5 cron for one session: every candidate instance whose flag differs from the predicate at
        ``now + 60 s`` is activated or deactivated, in one save with the session."""

        def attempt() -> ActivityChanges:
            session = self.get_session(session_id)
            touched = self.evaluate_activity(session, self.activity_candidates(session, now), now)
            if touched or session.pending_events:
                self.save(session, *touched)
            return ActivityChanges(
                tuple(i.id for i in touched if i.is_active), tuple(i.id for i in touched if not i.is_active)
            )

        result: ActivityChanges = self.retrying(attempt)
        return result
