"""Commands on parent events (spec §6.1, §6.2): create, update, and the daily clean-up of an event."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any
from uuid import UUID, uuid5

from domain.eventsessions.catalogues import EventType
from domain.eventsessions.commands.catalogues import CatalogueCommands, check_seats_max
from domain.eventsessions.commands.mailing import MailingCommands
from domain.eventsessions.errors import DatesOutOfOrderError, NotEnoughSeatsError, SessionsToggleRefusedError
from domain.eventsessions.mail_intervals import DEFAULT_MAIL_SCHEDULERS, MailRule
from domain.eventsessions.parent_event import ParentEvent
from domain.eventsessions.session import Session
from domain.eventsessions.stages import ENDED_STAGE_ID, STAGES
from domain.shared.application import Outcome, fingerprint
from domain.shared.clock import as_utc
from domain.shared.errors import InvalidInputError
from domain.shared.timezones import check_timezone


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
            date_tz=event_type.default_timezone,
            use_sessions=event_type.use_sessions,
            seats_limited=event_type.has_seats_limitation,
            seats_max=event_type.seats_max,
            auto_confirm=event_type.auto_confirm,
            mail_schedulers=tuple(MailRule(**r) for r in event_type.mail_schedulers),
        )


class EventCommands(MailingCommands, CatalogueCommands):
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
        id: UUID | None = None,  # noqa: A002
    ) -> Outcome:
        """Spec §6.1.  Values left out (None) come from the event type, else from Odoo's defaults."""
        given = {
            "name": name,
            "date_tz": date_tz,
            "use_sessions": use_sessions,
            "seats_limited": seats_limited,
            "seats_max": seats_max,
            "auto_confirm": auto_confirm,
            "event_type_id": event_type_id,
            "date_begin": date_begin,
            "date_end": date_end,
            "mail_schedulers": None if mail_schedulers is None else [asdict(r) for r in mail_schedulers],
        }
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
        begin, end = as_utc(date_begin), as_utc(date_end)
        if end < begin:
            raise DatesOutOfOrderError()
        rules = mail_schedulers if mail_schedulers is not None else defaults.mail_schedulers

        def create(new_id: UUID) -> Outcome:
            parent = ParentEvent(
                id=new_id,
                name=name,
                date_tz=resolved_tz,
                use_sessions=use_sessions if use_sessions is not None else defaults.use_sessions,
                seats_limited=seats_limited if seats_limited is not None else defaults.seats_limited,
                seats_max=resolved_max,
                auto_confirm=auto_confirm if auto_confirm is not None else defaults.auto_confirm,
                event_type_id=event_type_id,
                date_begin=begin,
                date_end=end,
                created_at=now,
                fingerprint=digest,
            )
            # Template ids derive from the event's, so a repeated create names the same templates.
            ids = [uuid5(new_id, f"mail-scheduler:{i}") for i in range(len(rules))]
            self.save(parent, *self.new_templates(parent, rules, ids, digest))
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
                touched += self._toggle_sessions(parent, changes["use_sessions"])
                reschedule_event_copies = True
            if "seats_limited" in changes or "seats_max" in changes:
                touched += self._change_capacity(
                    parent,
                    changes.get("seats_limited", parent.seats_limited),
                    changes.get("seats_max", parent.seats_max),
                )
            details: dict[str, Any] = {
                k: changes[k] for k in ("name", "date_tz", "auto_confirm", "stage_id") if k in changes
            }
            if "date_begin" in changes or "date_end" in changes:
                details.update(self._own_dates(parent, changes))
                reschedule_event_copies = True
            parent.change_details(details)
            if reschedule_event_copies:
                # The event-level schedulers follow the event's dates, or pause while it uses sessions (§6.2).
                touched += self.reschedule_copies(parent, parent)
            self.save(*touched)
            return Outcome(parent.id, parent.version)

        return self.retrying(attempt)

    def _toggle_sessions(self, parent: ParentEvent, use_sessions: bool) -> list[Any]:
        """C6; switching sessions off deletes all of them, archived ones included, with their copies (§6.2)."""
        if parent.has_registrations:
            raise SessionsToggleRefusedError()
        parent.toggle_use_sessions(use_sessions)
        touched: list[Any] = []
        if not use_sessions:
            for session_id in list(parent.session_ids):
                session = self.get_session(session_id)
                session.delete()
                parent.detach_session(session_id)
                touched += [session, *self.remove_copies(parent, session_id)]
        return touched

    @staticmethod
    def _own_dates(parent: ParentEvent, changes: Mapping[str, Any]) -> dict[str, datetime]:
        """C4b on an event without sessions; the dates of an event with sessions derive from them."""
        if parent.use_sessions:
            raise InvalidInputError(
                "date_begin" if "date_begin" in changes else "date_end",
                "The dates of an event with sessions derive from its sessions.",
            )
        begin = as_utc(changes.get("date_begin") or parent.date_begin)
        end = as_utc(changes.get("date_end") or parent.date_end)
        if end < begin:
            raise DatesOutOfOrderError()
        return {"date_begin": begin, "date_end": end}

    def _change_capacity(self, parent: ParentEvent, seats_limited: bool, seats_max: int) -> list[Session]:
        """C1 over every session (or the event's own ledger), then the new capacity everywhere."""
        sessions = self.sessions_of(parent) if parent.use_sessions else []
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

    def end_event_if_finished(self, event_id: UUID, at: datetime) -> bool:
        """§6.9 for an event, on its derived ``date_end``; a session event without active sessions is
        left alone (Q13)."""

        def attempt() -> bool:
            parent = self.get_event(event_id)
            if STAGES[parent.stage_id].pipe_end:
                return False
            if parent.use_sessions:
                ends = [s.date_end for s in self.sessions_of(parent) if s.active]
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

        return self.retrying(attempt)
