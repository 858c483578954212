"""The event-sessions application: commands and write-side queries.

Every command loads what it needs, lets the aggregates decide, and saves all of them in one
``save()`` (one transaction).  A concurrent writer makes the save fail on a version conflict; the
command is then run again from fresh state (``retrying``, in ``domain.shared.application``), so invariants spanning two aggregates
(a session's seats and a registration) hold under any concurrency.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID, uuid4, uuid5

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from domain.eventsessions.catalogues import TIMESLOT_CATALOGUE_ID, EventType, TimeslotCatalogue
from domain.eventsessions.errors import (
    DatesOutOfOrderError,
    EventNotFoundError,
    EventTypeNotFoundError,
    NotEnoughSeatsError,
    RegistrationNotFoundError,
    SessionNotFoundError,
    SessionsToggleRefusedError,
    TimeslotNotFoundError,
)
from domain.eventsessions.mail_intervals import DEFAULT_MAIL_SCHEDULERS, MailRule
from domain.eventsessions.mail_schedule import MailSchedule, MailScheduler
from domain.eventsessions.mailing import MailingCommands
from domain.eventsessions.parent_event import ParentEvent
from domain.eventsessions.registration import Registration
from domain.eventsessions.seats import RegistrationState
from domain.eventsessions.session import Session, check_session_dates
from domain.eventsessions.stages import ENDED_STAGE_ID, KANBAN_STATES, STAGES
from domain.eventsessions.timeslots import check_timeslot_range
from domain.eventsessions.wizard import WizardRequest, default_duration, default_start, generate, validate
from domain.shared.application import ContextApplication, Outcome, fingerprint
from domain.shared.clock import as_utc
from domain.shared.errors import InvalidInputError
from domain.shared.timezones import check_timezone

__all__ = ["EventSessions", "Outcome", "fingerprint", "check_timezone"]


@dataclass(frozen=True)
class GeneratedSession:
    id: UUID
    version: int
    date_begin: datetime
    date_end: datetime


@dataclass(frozen=True)
class EventDefaults:
    """What a new event gets for the values it was not given: its type's, else core Odoo's (§2.1, §6.1)."""

    date_tz: str = "UTC"
    use_sessions: bool = False
    seats_limited: bool = False
    seats_max: int = 0
    auto_confirm: bool = False  # an event without type does not auto-confirm (§2.2)
    mail_schedulers: tuple[MailRule, ...] = DEFAULT_MAIL_SCHEDULERS

    @classmethod
    def of(cls, event_type: EventType | None) -> EventDefaults:
        if event_type is None:
            return cls()
        return cls(
            date_tz=event_type.default_timezone, use_sessions=event_type.use_sessions,
            seats_limited=event_type.has_seats_limitation, seats_max=event_type.seats_max,
            auto_confirm=event_type.auto_confirm,
            mail_schedulers=tuple(MailRule(**r) for r in event_type.mail_schedulers),
        )  # fmt: skip


class EventSessions(MailingCommands, ContextApplication):
    """Parent events, sessions, registrations, mail schedulers and the catalogues, stored in one event
    store (one notification log)."""

    context = "eventsessions"
    snapshotting_intervals = {ParentEvent: 100, Session: 100, MailSchedule: 100, TimeslotCatalogue: 100}

    # -- loading -----------------------------------------------------------------------------------

    def get_event(self, event_id: UUID) -> ParentEvent:
        return self.get_as(event_id, ParentEvent, EventNotFoundError, "Event")

    def get_session(self, session_id: UUID) -> Session:
        session = self.get_as(session_id, Session, SessionNotFoundError, "Session")
        if session.deleted:
            raise SessionNotFoundError(f"Session {session_id} not found.")
        return session

    def get_registration(self, registration_id: UUID) -> Registration:
        return self.get_as(registration_id, Registration, RegistrationNotFoundError, "Registration")

    # -- events ------------------------------------------------------------------------------------

    def create_event(
        self,
        *,
        name: str,
        date_tz: str | None = None,
        use_sessions: bool | None = None,
        seats_limited: bool | None = None,
        seats_max: int | None = None,
        auto_confirm: bool | None = None,
        event_type_id: UUID | None = None,
        date_begin: datetime | None = None,
        date_end: datetime | None = None,
        mail_schedulers: list[MailRule] | None = None,
        id: UUID | None = None,
    ) -> Outcome:
        """Spec §6.1.  Values left out (None) come from the event type, else from Odoo's defaults."""
        given = {
            "name": name, "date_tz": date_tz, "use_sessions": use_sessions, "seats_limited": seats_limited,
            "seats_max": seats_max, "auto_confirm": auto_confirm, "event_type_id": event_type_id,
            "date_begin": date_begin, "date_end": date_end,
            "mail_schedulers": None if mail_schedulers is None else [asdict(r) for r in mail_schedulers],
        }  # fmt: skip
        digest = fingerprint(given)
        for rule in mail_schedulers or []:
            rule.validate()
        event_type = self.get_event_type(event_type_id, field="event_type_id") if event_type_id else None
        defaults = EventDefaults.of(event_type)
        resolved_tz = check_timezone(date_tz if date_tz is not None else defaults.date_tz)
        resolved_max = seats_max if seats_max is not None else defaults.seats_max
        check_seats_max(resolved_max)
        now = self.clock.now()
        if use_sessions:
            # Spec §6.1: an explicit use_sessions=True overwrites both dates with "now" (not one from a type).
            date_begin = date_end = now
        if date_begin is None:
            raise InvalidInputError("date_begin", "date_begin is required for an event without sessions.")
        if date_end is None:
            raise InvalidInputError("date_end", "date_end is required for an event without sessions.")
        date_begin, date_end = as_utc(date_begin), as_utc(date_end)
        if date_end < date_begin:
            raise DatesOutOfOrderError()
        rules = mail_schedulers if mail_schedulers is not None else defaults.mail_schedulers

        def create(new_id: UUID) -> Outcome:
            parent = ParentEvent(
                id=new_id, name=name, date_tz=resolved_tz,
                use_sessions=use_sessions if use_sessions is not None else defaults.use_sessions,
                seats_limited=seats_limited if seats_limited is not None else defaults.seats_limited,
                seats_max=resolved_max,
                auto_confirm=auto_confirm if auto_confirm is not None else defaults.auto_confirm,
                event_type_id=event_type_id, date_begin=date_begin, date_end=date_end, created_at=now,
                fingerprint=digest,
            )  # fmt: skip
            # Template ids derive from the event's, so a repeated create names the same templates.
            ids = [uuid5(new_id, f"mail-scheduler:{i}") for i in range(len(rules))]
            self.save(parent, *self._new_templates(parent, rules, ids, digest))
            return Outcome(parent.id, parent.version, created=True)

        return self.create_once(id, ParentEvent, "event", digest, create)

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
            reschedule_event_copies = False
            if "use_sessions" in changes and changes["use_sessions"] != parent.use_sessions:
                if parent.has_registrations:
                    raise SessionsToggleRefusedError()
                parent.toggle_use_sessions(changes["use_sessions"])
                if not changes["use_sessions"]:
                    # Spec §6.2: switching sessions off deletes all of them, archived ones included,
                    # and their mail schedulers with them.
                    for session_id in list(parent.session_ids):
                        session = self.get_session(session_id)
                        session.delete()
                        parent.detach_session(session_id)
                        touched += [session, *self.remove_copies(parent, session_id)]
                reschedule_event_copies = True
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
                reschedule_event_copies = True
            parent.change_details(details)
            if reschedule_event_copies:
                # The event-level schedulers follow the event's dates, or pause while it uses sessions (§6.2).
                touched += self.reschedule_copies(parent, parent)
            self.save(*touched)
            return Outcome(parent.id, parent.version)

        return self.retrying(attempt)

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
            self.save(session, parent, *self.copies_for_new_session(parent, session))
            return Outcome(session.id, session.version, created=True)

        return self.create_once(id, Session, "session", digest, create)

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
            copies: list[Any] = []
            if "date_begin" in changes or "date_end" in changes:
                session.reschedule(
                    as_utc(changes.get("date_begin") or session.date_begin),
                    as_utc(changes.get("date_end") or session.date_end),
                )
                copies = self.reschedule_copies(self.get_event(session.event_id), session)
            if "active" in changes:
                session.set_active(changes["active"])
            if "stage_id" in changes:
                session.change_stage(changes["stage_id"])
            if "kanban_state" in changes:
                session.change_kanban_state(changes["kanban_state"])
            self.save(*touched.values(), *copies)
            return Outcome(session.id, session.version)

        return self.retrying(attempt)

    def mark_session_done(self, session_id: UUID) -> Outcome:
        def attempt() -> Outcome:
            session = self.get_session(session_id)
            session.mark_done()
            self.save(session)
            return Outcome(session.id, session.version)

        return self.retrying(attempt)

    def delete_session(self, session_id: UUID) -> Outcome:
        def attempt() -> Outcome:
            session = self.get_session(session_id)
            parent = self.get_event(session.event_id)
            session.delete()
            parent.detach_session(session.id)
            self.save(session, parent, *self.remove_copies(parent, session.id))
            return Outcome(session.id, session.version)

        return self.retrying(attempt)

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
            self.save(*touched, *self.queue_attendee(parent, ledger, registration))
            return Outcome(registration.id, registration.version, created=True)

        return self.create_once(id, Registration, "registration", digest, create)

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
            queued = self.queue_attendee(parent, ledger, registration) if not from_state.takes_a_seat else []
            self.save(registration, ledger, *queued)
            return Outcome(registration.id, registration.version)

        return self.retrying(attempt)

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
                touched += [source, *self.drop_attendee(parent, source.id, registration.id)]
            target.count_registration(registration.id, None, state, event_name=parent.name, arriving=True)
            registration.move_to(registration.session_id, target.id)
            self.save(*touched, *self.queue_attendee(parent, target, registration))
            return Outcome(registration.id, registration.version)

        return self.retrying(attempt)

    # -- the session wizard (spec §8) --------------------------------------------------------------

    def wizard_defaults(self, event_id: UUID) -> tuple[date, float | None]:
        """§8.2: ``start`` is the UTC date of the event's end + 1 day; ``duration`` the latest-starting
        active session's."""
        parent = self.get_event(event_id)
        sessions = self._sessions(parent)
        active = [s for s in sessions if s.active]
        date_end = max((s.date_end for s in active), default=parent.date_end)
        return default_start(date_end), default_duration((s.date_begin, s.date_end, s.active) for s in sessions)

    def generate_sessions(self, event_id: UUID, request: WizardRequest) -> list[GeneratedSession]:
        """Creates every occurrence's sessions in one transaction, ordered by ``date_begin``."""
        validate(request)

        def attempt() -> list[GeneratedSession]:
            parent = self.get_event(event_id)
            now = self.clock.now()
            templates = self._templates(parent)
            created: list[Any] = []
            outcomes: list[GeneratedSession] = []
            for begin, end in generate(request, parent.date_tz):
                session = Session(
                    id=uuid4(), event_id=event_id, date_begin=begin, date_end=end,
                    seats_limited=parent.seats_limited, seats_max=parent.seats_max, created_at=now,
                    fingerprint=fingerprint({"event_id": event_id, "date_begin": begin, "date_end": end}),
                )  # fmt: skip
                parent.attach_session(session.id)
                created += [session, *(self._session_copy(parent, session, t.id, t.rule) for t in templates)]
                outcomes.append(GeneratedSession(session.id, session.version, begin, end))
            self.save(parent, *created)
            return outcomes

        result: list[GeneratedSession] = self.retrying(attempt)
        return result

    # -- stages over time (spec §6.9) --------------------------------------------------------------

    def end_session_if_finished(self, session_id: UUID, at: datetime) -> bool:
        """The daily clean-up for one session: finished (``date_end < at``) and not in a pipe-end stage."""

        def attempt() -> bool:
            session = self.get_session(session_id)
            if not (session.date_end < as_utc(at)) or STAGES[session.stage_id].pipe_end:
                return False
            session.mark_done()
            self.save(session)
            return True

        result: bool = self.retrying(attempt)
        return result

    def end_event_if_finished(self, event_id: UUID, at: datetime) -> bool:
        """The same rule for an event, on its derived ``date_end``; a session event without active
        sessions is left alone (Q13)."""

        def attempt() -> bool:
            parent = self.get_event(event_id)
            if STAGES[parent.stage_id].pipe_end:
                return False
            if parent.use_sessions:
                ends = [s.date_end for s in self._sessions(parent) if s.active]
                if not ends:
                    return False
                date_end = max(ends)
            else:
                date_end = parent.date_end
            if not date_end < as_utc(at):
                return False
            parent.change_details({"stage_id": ENDED_STAGE_ID})
            self.save(parent)
            return True

        result: bool = self.retrying(attempt)
        return result

    # -- catalogues ------------------------------------------------------------------------------

    def create_event_type(
        self,
        *,
        name: str,
        use_sessions: bool = False,
        has_seats_limitation: bool = False,
        seats_max: int = 0,
        auto_confirm: bool = True,
        default_timezone: str = "UTC",
        mail_schedulers: list[MailRule] | None = None,
        id: UUID | None = None,
    ) -> Outcome:
        """Spec §2.1: a template for new events; without a list, the three core mail schedulers."""
        check_timezone(default_timezone, field="default_timezone")
        check_seats_max(seats_max)
        rules = list(DEFAULT_MAIL_SCHEDULERS) if mail_schedulers is None else mail_schedulers
        for rule in rules:
            rule.validate()
        values = {
            "name": name, "use_sessions": use_sessions, "has_seats_limitation": has_seats_limitation,
            "seats_max": seats_max, "auto_confirm": auto_confirm, "default_timezone": default_timezone,
            "mail_schedulers": [asdict(r) for r in rules],
        }  # fmt: skip
        digest = fingerprint(values)

        def create(new_id: UUID) -> Outcome:
            event_type = EventType(id=new_id, fingerprint=digest, **values)
            self.save(event_type)
            return Outcome(event_type.id, event_type.version, created=True)

        return self.create_once(id, EventType, "event type", digest, create)

    def get_event_type(self, event_type_id: UUID, *, field: str | None = None) -> EventType:
        try:
            return self.get_as(event_type_id, EventType, EventTypeNotFoundError, "Event type")
        except EventTypeNotFoundError:
            if field is None:
                raise
            raise InvalidInputError(field, f"Event type {event_type_id} not found.") from None

    def timeslots(self) -> TimeslotCatalogue:
        """The catalogue; created with its seed slots the first time anything asks for it."""
        try:
            catalogue = self.repository.get(TIMESLOT_CATALOGUE_ID)
        except AggregateNotFoundError:
            try:
                self.save(TimeslotCatalogue.seeded())
            except IntegrityError:
                pass  # another instance seeded it first
            catalogue = self.repository.get(TIMESLOT_CATALOGUE_ID)
        assert isinstance(catalogue, TimeslotCatalogue)
        return catalogue

    def add_timeslot(self, time: float) -> Outcome:
        """C9/C10; the new slot's id is the outcome's ``id``."""
        check_timeslot_range(time)

        def attempt() -> Outcome:
            catalogue = self.timeslots()
            slot_id = uuid4()
            catalogue.add(slot_id, time)
            self.save(catalogue)
            return Outcome(slot_id, catalogue.version, created=True)

        return self.retrying(attempt)

    def remove_timeslot(self, slot_id: UUID) -> Outcome:
        def attempt() -> Outcome:
            catalogue = self.timeslots()
            if not catalogue.remove(slot_id):
                raise TimeslotNotFoundError(f"Timeslot {slot_id} not found.")
            self.save(catalogue)
            return Outcome(slot_id, catalogue.version)

        return self.retrying(attempt)



def check_seats_max(seats_max: int) -> None:
    if seats_max < 0:
        raise InvalidInputError("seats_max", "seats_max cannot be negative.")
