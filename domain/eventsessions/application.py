"""The event-sessions application: every command, composed from one mixin per topic (``commands/``).

Every command loads what it needs, lets the aggregates decide, and saves all of them in one
``save()`` (one transaction).  A concurrent writer makes the save fail on a version conflict; the
command then runs again from fresh state (``retrying``, in ``domain.shared.application``), so
invariants spanning two aggregates (a session's seats and a registration) hold under any concurrency.
"""

from __future__ import annotations

from domain.eventsessions.catalogues import TimeslotCatalogue
from domain.eventsessions.commands.events import EventCommands
from domain.eventsessions.commands.registrations import RegistrationCommands
from domain.eventsessions.commands.sessions import SessionCommands
from domain.eventsessions.commands.wizard import WizardCommands
from domain.eventsessions.mail_schedule import MailSchedule
from domain.eventsessions.parent_event import ParentEvent
from domain.eventsessions.session import Session
from domain.shared.application import Outcome

__all__ = ["EventSessions", "Outcome"]


class EventSessions(EventCommands, SessionCommands, RegistrationCommands, WizardCommands):
    """Parent events, sessions, registrations, mail templates and their copies, and the catalogues."""

    snapshotting_intervals = {ParentEvent: 100, Session: 100, MailSchedule: 100, TimeslotCatalogue: 100}
