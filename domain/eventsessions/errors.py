"""Errors of the event-sessions context (the shared ones, e.g. ``IdReusedError``, are in ``domain.shared.errors``).

Messages are the rules' own, word for word (``RULES.md``, §5).
"""

from __future__ import annotations

from domain.shared.errors import InvalidInputError, NotFoundError, RuleViolationError

NO_MORE_SEATS = "No more seats available for this session."
CLOSING_BEFORE_BEGINNING = "The closing date cannot be earlier than the beginning date."
CANNOT_TOGGLE_SESSIONS = "You can't enable/disable sessions on events with registrations."
SESSION_HAS_REGISTRATIONS = (
    "The operation cannot be completed: another model requires the record being deleted. "
    "If possible, archive it instead."
)


class EventSessionsError(RuleViolationError):
    code = "eventsessions.rule"


class NotEnoughSeatsError(EventSessionsError):
    """C1: one line per failing session or event, ``- "<name>": Missing <N> seats.``"""

    code = "eventsessions.seats.not_enough"

    def __init__(self, shortages: list[tuple[str, int]]) -> None:
        lines = "".join(f'- "{name}": Missing {missing} seats.\n' for name, missing in shortages)
        super().__init__(f"There are not enough seats available for:\n{lines}")
        self.shortages = shortages


class NoMoreSeatsError(EventSessionsError):
    """C2: a new (or moved) registration finds its session full."""

    code = "eventsessions.seats.no_more"

    def __init__(self) -> None:
        super().__init__(NO_MORE_SEATS)


class SessionsToggleRefusedError(EventSessionsError):
    code = "eventsessions.event.use_sessions_locked"

    def __init__(self) -> None:
        super().__init__(CANNOT_TOGGLE_SESSIONS)


class SessionInUseError(EventSessionsError):
    code = "eventsessions.session.has_registrations"

    def __init__(self) -> None:
        super().__init__(SESSION_HAS_REGISTRATIONS)


class DatesOutOfOrderError(InvalidInputError):
    code = "eventsessions.dates.end_before_begin"

    def __init__(self) -> None:
        super().__init__("date_end", CLOSING_BEFORE_BEGINNING)


class EventNotFoundError(NotFoundError):
    code = "eventsessions.event.not_found"


class SessionNotFoundError(NotFoundError):
    code = "eventsessions.session.not_found"


class RegistrationNotFoundError(NotFoundError):
    code = "eventsessions.registration.not_found"


class MailSchedulerNotFoundError(NotFoundError):
    code = "eventsessions.mail_scheduler.not_found"


class EventTypeNotFoundError(NotFoundError):
    code = "eventsessions.event_type.not_found"


class TimeslotNotFoundError(NotFoundError):
    code = "eventsessions.timeslot.not_found"
