"""The event-sessions application: commands and write-side queries.

Every command loads what it needs, lets the aggregates decide, and saves all of them in one
``save()`` (one transaction).  A concurrent writer makes the save fail on a version conflict; the
command is then run again from fresh state (``_retrying``), so invariants spanning two aggregates
(a session's seats and a registration) hold under any concurrency.
"""

from __future__ import annotations

import hashlib
import json
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError

from domain.eventsessions.errors import (
    DatesOutOfOrderError,
    EventNotFoundError,
    IdReusedError,
    NotEnoughSeatsError,
    RegistrationNotFoundError,
    SessionNotFoundError,
    SessionsToggleRefusedError,
)
from domain.eventsessions.parent_event import ParentEvent
from domain.eventsessions.registration import Registration
from domain.eventsessions.seats import RegistrationState
from domain.eventsessions.session import Session, check_session_dates
from domain.eventsessions.stages import KANBAN_STATES, STAGES
from domain.shared.clock import Clock, SystemClock, as_utc
from domain.shared.errors import ConcurrencyError, InvalidInputError

T = TypeVar("T")
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


def check_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInputError("date_tz", f"Unknown time zone: {name!r}.") from None
    return name


class EventSessions(Application):
    """Parent events, sessions and registrations, stored in one event store (one notification log)."""

    name = "EventSessions"
    snapshotting_intervals = {ParentEvent: 100, Session: 100}
    env = {"AGGREGATE_CACHE_MAXSIZE": "5000", "DEEPCOPY_FROM_AGGREGATE_CACHE": "y"}

    def __init__(self, env: Mapping[str, str] | None = None, clock: Clock | None = None) -> None:
        super().__init__(env=dict(env) if env else None)
        self.clock: Clock = clock or SystemClock()

    # -- loading -----------------------------------------------------------------------------------

    def get_event(self, event_id: UUID) -> ParentEvent:
        return self._get(event_id, ParentEvent, EventNotFoundError, "Event")

    def get_session(self, session_id: UUID) -> Session:
        session = self._get(session_id, Session, SessionNotFoundError, "Session")
        if session.deleted:
            raise SessionNotFoundError(f"Session {session_id} not found.")
        return session

    def get_registration(self, registration_id: UUID) -> Registration:
        return self._get(registration_id, Registration, RegistrationNotFoundError, "Registration")

    def _get(self, aggregate_id: UUID, kind: type[T], error: type[Exception], label: str) -> T:
        try:
            aggregate = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            raise error(f"{label} {aggregate_id} not found.") from None
        if not isinstance(aggregate, kind):
            raise error(f"{label} {aggregate_id} not found.")
        return aggregate

    def _exists(self, aggregate_id: UUID) -> bool:
        try:
            self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return False
        return True

    def _retrying(self, command: Callable[[], T]) -> T:
        """Runs a command until its save wins the optimistic-concurrency race."""
        for attempt in range(MAX_ATTEMPTS):
            try:
                return command()
            except IntegrityError:
                # Jittered backoff keeps many writers of one session from colliding in lock-step.
                time.sleep(random.uniform(0, min(0.002 * (attempt + 1), 0.05)))
        raise ConcurrencyError("The command kept conflicting with concurrent writers; try again.")

    def _create_once(
        self,
        aggregate_id: UUID | None,
        kind: type[Any],
        label: str,
        digest: str,
        create: Callable[[UUID], Outcome],
    ) -> Outcome:
        """Create with an optional client-chosen id: a repeat with the same values answers the first."""
        new_id = aggregate_id or uuid4()

        def attempt() -> Outcome:
            if aggregate_id is not None and self._exists(new_id):
                existing = self.repository.get(new_id)
                if isinstance(existing, kind) and existing.fingerprint == digest:
                    return Outcome(existing.id, existing.version, created=False)
                raise IdReusedError(label)
            return create(new_id)

        return self._retrying(attempt)

    # -- events ------------------------------------------------------------------------------------

    def create_event(
        self,
        *,
        name: str,
        date_tz: str = "UTC",
        use_sessions: bool = False,
        seats_limited: bool = False,
        seats_max: int = 0,
        auto_confirm: bool = False,
        event_type_id: UUID | None = None,
        date_begin: datetime | None = None,
        date_end: datetime | None = None,
        id: UUID | None = None,
    ) -> Outcome:
        values = {
            "name": name, "date_tz": date_tz, "use_sessions": use_sessions,
            "seats_limited": seats_limited, "seats_max": seats_max, "auto_confirm": auto_confirm,
            "event_type_id": event_type_id, "date_begin": date_begin, "date_end": date_end,
        }  # fmt: skip
        check_timezone(date_tz)
        check_seats_max(seats_max)
        now = self.clock.now()
        if use_sessions:
            # Spec §6.1: an explicit use_sessions=True overwrites both dates with "now".
            date_begin = date_end = now
        if date_begin is None:
            raise InvalidInputError("date_begin", "date_begin is required for an event without sessions.")
        if date_end is None:
            raise InvalidInputError("date_end", "date_end is required for an event without sessions.")
        date_begin, date_end = as_utc(date_begin), as_utc(date_end)
        if date_end < date_begin:
            raise DatesOutOfOrderError()
        digest = fingerprint(values)

        def create(new_id: UUID) -> Outcome:
            parent = ParentEvent(
                id=new_id, name=name, date_tz=date_tz, use_sessions=use_sessions,
                seats_limited=seats_limited, seats_max=seats_max,
                auto_confirm=auto_confirm, event_type_id=event_type_id, date_begin=date_begin,
                date_end=date_end, created_at=now, fingerprint=digest,
            )  # fmt: skip
            self.save(parent)
            return Outcome(parent.id, parent.version, created=True)

        return self._create_once(id, ParentEvent, "event", digest, create)

    def update_event(self, event_id: UUID, changes: Mapping[str, Any]) -> Outcome:
        """PATCH semantics: only the given fields change, all of them or none."""
        changes = dict(changes)
        if "date_tz" in changes:
            check_timezone(changes["date_tz"])
        if "seats_max" in changes:
            check_seats_max(changes["seats_max"])
        if "stage_id" in changes and changes["stage_id"] not in STAGES:
            raise InvalidInputError("stage_id", f"Unknown stage: {changes['stage_id']!r}.")

        def attempt() -> Outcome:
            parent = self.get_event(event_id)
            touched: list[Any] = [parent]
            if "use_sessions" in changes and changes["use_sessions"] != parent.use_sessions:
                if parent.has_registrations:
                    raise SessionsToggleRefusedError()
                parent.toggle_use_sessions(changes["use_sessions"])
                if not changes["use_sessions"]:
                    # Spec §6.2: switching sessions off deletes all of them, archived ones included.
                    for session_id in list(parent.session_ids):
                        session = self.get_session(session_id)
                        session.delete()
                        parent.detach_session(session_id)
                        touched.append(session)
            if "seats_limited" in changes or "seats_max" in changes:
                touched += self._change_capacity(
                    parent,
                    changes.get("seats_limited", parent.seats_limited),
                    changes.get("seats_max", parent.seats_max),
                )
            details = {k: changes[k] for k in ("name", "date_tz", "auto_confirm", "stage_id") if k in changes}
            if "date_begin" in changes or "date_end" in changes:
                if parent.use_sessions:
                    raise InvalidInputError(
                        "date_begin" if "date_begin" in changes else "date_end",
                        "The dates of an event with sessions derive from its sessions.",
                    )
                begin = as_utc(changes.get("date_begin") or parent.date_begin)
                end = as_utc(changes.get("date_end") or parent.date_end)
                if end < begin:
                    raise DatesOutOfOrderError()
                details.update(date_begin=begin, date_end=end)
            parent.change_details(details)
            self.save(*touched)
            return Outcome(parent.id, parent.version)

        return self._retrying(attempt)

    def _change_capacity(self, parent: ParentEvent, seats_limited: bool, seats_max: int) -> list[Session]:
        """C1 over every session (or the event's own ledger), then the new capacity everywhere."""
        sessions = [self.get_session(sid) for sid in parent.session_ids] if parent.use_sessions else []
        if parent.use_sessions:
            shortages = [(parent.name, s.shortage_under(seats_limited, seats_max)) for s in sessions]
            shortages = [(n, m) for n, m in shortages if m]
        else:
            missing = parent.seats.with_capacity(seats_limited, seats_max).missing_seats()
            shortages = [(parent.name, missing)] if missing else []
        if shortages:
            raise NotEnoughSeatsError(shortages)
        parent.change_capacity(seats_limited, seats_max)
        for session in sessions:
            session.apply_capacity(seats_limited, seats_max, event_name=parent.name)
        return sessions

    # -- sessions ----------------------------------------------------------------------------------

    def add_session(
        self, event_id: UUID, *, date_begin: datetime, date_end: datetime, id: UUID | None = None
    ) -> Outcome:
        date_begin, date_end = as_utc(date_begin), as_utc(date_end)
        check_session_dates(date_begin, date_end)
        digest = fingerprint({"event_id": event_id, "date_begin": date_begin, "date_end": date_end})

        def create(new_id: UUID) -> Outcome:
            parent = self.get_event(event_id)
            session = Session(
                id=new_id, event_id=event_id, date_begin=date_begin, date_end=date_end,
                seats_limited=parent.seats_limited, seats_max=parent.seats_max,
                created_at=self.clock.now(), fingerprint=digest,
            )  # fmt: skip
            parent.attach_session(session.id)
            self.save(session, parent)
            return Outcome(session.id, session.version, created=True)

        return self._create_once(id, Session, "session", digest, create)

    def update_session(
        self, session_id: UUID, changes: Mapping[str, Any], session_update: str = "this"
    ) -> Outcome:
        """Dates, active, stage and kanban state; ``session_update`` propagates ``active`` (§6.5)."""
        if session_update not in ("this", "subsequent", "all"):
            raise InvalidInputError("session_update", "session_update must be this, subsequent or all.")
        if "stage_id" in changes and changes["stage_id"] not in STAGES:
            raise InvalidInputError("stage_id", f"Unknown stage: {changes['stage_id']!r}.")
        if "kanban_state" in changes and changes["kanban_state"] not in KANBAN_STATES:
            raise InvalidInputError("kanban_state", "kanban_state must be normal, done or blocked.")

        def attempt() -> Outcome:
            session = self.get_session(session_id)
            touched: dict[UUID, Session] = {session.id: session}
            if "active" in changes and session_update in ("subsequent", "all"):
                parent = self.get_event(session.event_id)
                for sibling_id in parent.session_ids:  # archived siblings included (Q7)
                    sibling = session if sibling_id == session.id else self.get_session(sibling_id)
                    if session_update == "all" or sibling.date_begin > session.date_begin:
                        sibling.set_active(changes["active"])
                        touched[sibling.id] = sibling
            if "date_begin" in changes or "date_end" in changes:
                session.reschedule(
                    as_utc(changes.get("date_begin") or session.date_begin),
                    as_utc(changes.get("date_end") or session.date_end),
                )
            if "active" in changes:
                session.set_active(changes["active"])
            if "stage_id" in changes:
                session.change_stage(changes["stage_id"])
            if "kanban_state" in changes:
                session.change_kanban_state(changes["kanban_state"])
            self.save(*touched.values())
            return Outcome(session.id, session.version)

        return self._retrying(attempt)

    def mark_session_done(self, session_id: UUID) -> Outcome:
        def attempt() -> Outcome:
            session = self.get_session(session_id)
            session.mark_done()
            self.save(session)
            return Outcome(session.id, session.version)

        return self._retrying(attempt)

    def delete_session(self, session_id: UUID) -> Outcome:
        def attempt() -> Outcome:
            session = self.get_session(session_id)
            parent = self.get_event(session.event_id)
            session.delete()
            parent.detach_session(session.id)
            self.save(session, parent)
            return Outcome(session.id, session.version)

        return self._retrying(attempt)

    # -- registrations -----------------------------------------------------------------------------

    def register(
        self,
        *,
        event_id: UUID,
        name: str,
        email: str,
        session_id: UUID | None = None,
        phone: str | None = None,
        state: str | None = None,
        id: UUID | None = None,
    ) -> Outcome:
        if state is not None and state not in {s.value for s in RegistrationState}:
            raise InvalidInputError("state", "state must be draft, open, done or cancel.")
        digest = fingerprint({
            "event_id": event_id, "session_id": session_id, "name": name, "email": email,
            "phone": phone, "state": state,
        })  # fmt: skip

        def create(new_id: UUID) -> Outcome:
            parent = self.get_event(event_id)
            session = self._session_for(parent, session_id)
            chosen = RegistrationState(state or ("open" if parent.auto_confirm else "draft"))
            registration = Registration(
                id=new_id, event_id=event_id, session_id=session_id, name=name, email=email, phone=phone,
                state=chosen.value, created_at=self.clock.now(), fingerprint=digest,
            )  # fmt: skip
            ledger = session or parent
            if session is not None:
                session.count_registration(new_id, None, chosen, event_name=parent.name, arriving=True)
            else:
                parent.count_registration(new_id, None, chosen)
            parent_changed = not parent.has_registrations
            parent.note_registration()
            touched = [registration, ledger] + ([parent] if parent_changed and ledger is not parent else [])
            self.save(*touched)
            return Outcome(registration.id, registration.version, created=True)

        return self._create_once(id, Registration, "registration", digest, create)

    def _session_for(self, parent: ParentEvent, session_id: UUID | None) -> Session | None:
        """Spec Q1/Q2: a session event's registration needs a session, and one of that event."""
        if not parent.use_sessions:
            if session_id is not None:
                raise InvalidInputError("session_id", "This event does not use sessions.")
            return None
        if session_id is None:
            raise InvalidInputError("session_id", "session_id is required: the event uses sessions.")
        try:
            session = self.get_session(session_id)
        except SessionNotFoundError:
            raise InvalidInputError("session_id", f"Session {session_id} not found.") from None
        if session.event_id != parent.id:
            raise InvalidInputError("session_id", "The session does not belong to the registration's event.")
        return session

    def change_registration_state(self, registration_id: UUID, to_state: RegistrationState) -> Outcome:
        """Confirm (open), attend (done), cancel, or reset to draft; the ledger follows."""

        def attempt() -> Outcome:
            registration = self.get_registration(registration_id)
            from_state = registration.current_state
            if from_state is to_state:
                return Outcome(registration.id, registration.version)
            parent = self.get_event(registration.event_id)
            if registration.session_id is not None:
                ledger: Any = self.get_session(registration.session_id)
                ledger.count_registration(registration.id, from_state, to_state, event_name=parent.name)
            else:
                ledger = parent
                parent.count_registration(registration.id, from_state, to_state)
            registration.change_state(to_state, self.clock.now())
            self.save(registration, ledger)
            return Outcome(registration.id, registration.version)

        return self._retrying(attempt)

    def move_registration(self, registration_id: UUID, to_session_id: UUID) -> Outcome:
        """Moves a registration to another session of its event: C1/C2 on the target session."""

        def attempt() -> Outcome:
            registration = self.get_registration(registration_id)
            if registration.session_id == to_session_id:
                return Outcome(registration.id, registration.version)
            parent = self.get_event(registration.event_id)
            target = self._session_for(parent, to_session_id)
            assert target is not None  # _session_for raises for events without sessions
            state = registration.current_state
            touched: list[Any] = [registration, target]
            if registration.session_id is not None:
                source = self.get_session(registration.session_id)
                source.count_registration(registration.id, state, None, event_name=parent.name)
                touched.append(source)
            target.count_registration(registration.id, None, state, event_name=parent.name, arriving=True)
            registration.move_to(registration.session_id, target.id)
            self.save(*touched)
            return Outcome(registration.id, registration.version)

        return self._retrying(attempt)


def check_seats_max(seats_max: int) -> None:
    if seats_max < 0:
        raise InvalidInputError("seats_max", "seats_max cannot be negative.")
