"""Errors of the music context: one root (``MusicError``) over the shared families.

``MusicNotFoundError`` -> 404, ``MusicRuleViolationError`` -> 409, ``MusicInvalidInputError`` -> 422.
Codes are the spec's (part A) where it gives one, else ours (``RULES.md``); messages quoted by the spec
are word for word.
"""

from __future__ import annotations

from domain.shared.errors import DomainError, IdReusedError, InvalidInputError, NotFoundError, RuleViolationError

__all__ = [
    "IdReusedError",
    "InstanceNotFoundError",
    "MusicError",
    "MusicInvalidInputError",
    "MusicNotFoundError",
    "MusicRuleViolationError",
    "PathTakenError",
    "RecurrenceError",
    "SessionNotFoundError",
    "TuneMoveRefusedError",
    "TuneNotFoundError",
]

# A.6: the source's messages, word for word.
TUNE_NOT_FOUND = "Tune not found"
TUNE_NOT_IN_INSTANCE = "Tune not found in this session instance"
INVALID_PARAMETERS = "Invalid parameters"
INVALID_SETTING_OVERRIDE = "Invalid setting_override value"
FIRST_TUNE_LEFT = "Cannot move first tune left"
LEFT_ACROSS_SET = "Cannot move tune left across set boundary"
LAST_TUNE_RIGHT = "Cannot move last tune right"
RIGHT_ACROSS_SET = "Cannot move tune right across set boundary"
FIRST_SET_UP = "Cannot move first set up"
LAST_SET_DOWN = "Cannot move last set down"
SESSION_NOT_FOUND = "Session not found"
INSTANCE_NOT_FOUND = "Session instance not found"
DATE_REQUIRED = "Please enter a session date"
UNKNOWN_TUNE = "Unknown tune"


class MusicError(DomainError):
    """Root of every music error."""

    code = "music.error"


class MusicNotFoundError(MusicError, NotFoundError):
    code = "music.not_found"


class MusicRuleViolationError(MusicError, RuleViolationError):
    code = "music.rule"


class MusicInvalidInputError(MusicError, InvalidInputError):
    code = "music.invalid"


class SessionNotFoundError(MusicNotFoundError):
    code = "session.not_found"

    def __init__(self) -> None:
        super().__init__(SESSION_NOT_FOUND)


class InstanceNotFoundError(MusicNotFoundError):
    code = "instance.not_found"

    def __init__(self) -> None:
        super().__init__(INSTANCE_NOT_FOUND)


class TuneNotFoundError(MusicNotFoundError):
    """A.6: an unknown entry id ("Tune not found"; the details update says "... in this session instance")."""

    code = "tune.not_found"

    def __init__(self, message: str = TUNE_NOT_FOUND) -> None:
        super().__init__(message)


class PathTakenError(MusicRuleViolationError):
    """MU-2: another session already uses this (normalised) path."""

    code = "session.path.taken"

    def __init__(self, path: str) -> None:
        super().__init__(f"The path '{path}' is already used by another session.")


class TuneMoveRefusedError(MusicRuleViolationError):
    """A.6.6 / A.6.7: a move across the log's or a set's boundary; the message is the spec's."""

    code = "tune.move.refused"
    CODES = {
        FIRST_TUNE_LEFT: "tune.move.first_tune_left",
        LEFT_ACROSS_SET: "tune.move.left_across_set",
        LAST_TUNE_RIGHT: "tune.move.last_tune_right",
        RIGHT_ACROSS_SET: "tune.move.right_across_set",
        FIRST_SET_UP: "set.move.first_set_up",
        LAST_SET_DOWN: "set.move.last_set_down",
    }

    def __init__(self, message: str) -> None:
        super().__init__(message, code=self.CODES[message])


class RecurrenceError(MusicInvalidInputError):
    """A.2.1: a recurrence pattern that fails validation; ``code`` is the spec's ``recurrence.*`` code."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__("recurrence", message, code=code)


def invalid(field: str, message: str, code: str) -> MusicInvalidInputError:
    """A 422 on ``field`` with the given code (the spec's, or ours from RULES.md)."""
    return MusicInvalidInputError(field, message, code=code)


def check_text(field: str, value: str | None, limit: int, *, code: str | None = None) -> None:
    """MU-4: free text has a length limit."""
    if value is not None and len(value) > limit:
        raise invalid(field, f"{field} is longer than {limit} characters.", code or f"{field}.too_long")
