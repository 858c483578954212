"""Commands on sessions (spec §6.3-§6.7, §6.9): add, update (with ``session_update``), done, delete, end."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

from domain.eventsessions.commands.mailing import MailingCommands
from domain.eventsessions.session import Session, check_session_dates
from domain.eventsessions.stages import KANBAN_STATES, STAGES
from domain.shared.application import Outcome, fingerprint
from domain.shared.clock import as_utc
from domain.shared.errors import InvalidInputError

SESSION_UPDATES = ("this", "subsequent", "all")


class SessionCommands(MailingCommands):
    def add_session(
        self,
        event_id: UUID,
        *,
        date_begin: datetime,
        date_end: datetime,
        id: UUID | None = None,  # noqa: A002
    ) -> Outcome:
        date_begin, date_end = as_utc(date_begin), as_utc(date_end)
        check_session_dates(date_begin, date_end)
        digest = fingerprint({"event_id": event_id, "date_begin": date_begin, "date_end": date_end})

        def create(new_id: UUID) -> Outcome:
            parent = self.get_event(event_id)
            session = Session(
                id=new_id,
                event_id=event_id,
                date_begin=date_begin,
                date_end=date_end,
                seats_limited=parent.seats_limited,
                seats_max=parent.seats_max,
                created_at=self.clock.now(),
                fingerprint=digest,
            )
            parent.attach_session(session.id)
            self.save(session, parent, *self.copies_for_new_session(parent, session))
            return Outcome(session.id, session.version, created=True)

        return self.create_once(id, Session, "session", digest, create)

    def update_session(self, session_id: UUID, changes: Mapping[str, Any], session_update: str = "this") -> Outcome:
        """Dates, active, stage and kanban state; ``session_update`` propagates ``active`` (§6.5)."""
        if session_update not in SESSION_UPDATES:
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
        """C7: refused while any registration points to the session; its mail copies go with it."""

        def attempt() -> Outcome:
            session = self.get_session(session_id)
            parent = self.get_event(session.event_id)
            session.delete()
            parent.detach_session(session.id)
            self.save(session, parent, *self.remove_copies(parent, session.id))
            return Outcome(session.id, session.version)

        return self.retrying(attempt)

    def end_session_if_finished(self, session_id: UUID, at: datetime) -> bool:
        """§6.9, the daily clean-up for one session: finished (``date_end < at``) and not in a pipe-end stage."""

        def attempt() -> bool:
            session = self.get_session(session_id)
            if not (session.date_end < as_utc(at)) or STAGES[session.stage_id].pipe_end:
                return False
            session.mark_done()
            self.save(session)
            return True

        return self.retrying(attempt)
