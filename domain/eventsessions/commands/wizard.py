"""The session wizard's commands (spec §8): its defaults for an event, and generating the sessions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID, uuid4

from domain.eventsessions.commands.mailing import MailingCommands
from domain.eventsessions.session import Session
from domain.eventsessions.wizard import WizardRequest, default_duration, default_start, generate, validate
from domain.shared.application import fingerprint


@dataclass(frozen=True)
class GeneratedSession:
    id: UUID
    version: int
    date_begin: datetime
    date_end: datetime


class WizardCommands(MailingCommands):
    def wizard_defaults(self, event_id: UUID) -> tuple[date, float | None]:
        """§8.2: ``start`` is the UTC date of the event's end + 1 day; ``duration`` the latest-starting
        active session's."""
        parent = self.get_event(event_id)
        sessions = self.sessions_of(parent)
        active = [s for s in sessions if s.active]
        date_end = max((s.date_end for s in active), default=parent.date_end)
        return default_start(date_end), default_duration((s.date_begin, s.date_end, s.active) for s in sessions)

    def generate_sessions(self, event_id: UUID, request: WizardRequest) -> list[GeneratedSession]:
        """Creates every occurrence's sessions in one transaction, ordered by ``date_begin``."""
        validate(request)

        def attempt() -> list[GeneratedSession]:
            parent = self.get_event(event_id)
            now = self.clock.now()
            templates = self.templates_of(parent)
            created: list[Any] = []
            outcomes: list[GeneratedSession] = []
            for begin, end in generate(request, parent.date_tz):
                session = Session(
                    id=uuid4(),
                    event_id=event_id,
                    date_begin=begin,
                    date_end=end,
                    seats_limited=parent.seats_limited,
                    seats_max=parent.seats_max,
                    created_at=now,
                    fingerprint=fingerprint({"event_id": event_id, "date_begin": begin, "date_end": end}),
                )
                parent.attach_session(session.id)
                created += [session, *(self.session_copy(parent, session, t.id, t.rule) for t in templates)]
                outcomes.append(GeneratedSession(session.id, session.version, begin, end))
            self.save(parent, *created)
            return outcomes

        return self.retrying(attempt)
