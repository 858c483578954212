"""Errors of the charging context.  Every one carries the OCPI ``status_code`` it is answered with.

The families (``domain.shared.errors``) give the HTTP status for non-OCPI surfaces and the inbound
outcomes; the OCPI layer answers HTTP 404 for the not-found family and HTTP 200 for the others,
always with ``ocpi_status`` in the envelope (R-4, D11, D17).  Messages follow CH-19.
"""

from __future__ import annotations

from datetime import datetime

from domain.charging.datetimes import format_datetime
from domain.shared.errors import DomainError, InvalidInputError, NotFoundError, RuleViolationError

#: OCPI 2001: invalid or missing parameters.
INVALID_PARAMETERS = 2001
UNKNOWN_SESSION = "Unknown session"


class ChargingError(DomainError):
    """The root of the charging context's errors."""

    code = "charging.error"
    ocpi_status = INVALID_PARAMETERS


# -- malformed input (422 / OCPI 2001) ----------------------------------------------------------------


class InvalidSessionInputError(ChargingError, InvalidInputError):
    """A field is missing or has a wrong value; ``field`` is its path (``cdr_token.type``)."""

    code = "charging.invalid_field"

    def __init__(self, field: str, reason: str) -> None:
        InvalidInputError.__init__(self, field, f"Invalid field {field}: {reason}")
        self.reason = reason


class MissingFieldError(InvalidSessionInputError):
    """A required field is absent (R-4 for a PATCH without ``last_updated``)."""

    code = "charging.missing_field"

    def __init__(self, field: str) -> None:
        InvalidInputError.__init__(self, field, f"Missing required field: {field}")
        self.reason = "missing"


class IdentityMismatchError(InvalidSessionInputError):
    """R-2, D9: the URL names another session than the body."""

    code = "charging.identity_mismatch"

    def __init__(self, field: str, in_url: str, in_body: str) -> None:
        InvalidInputError.__init__(
            self, field, f"Invalid field {field}: the URL says {in_url!r} but the body says {in_body!r}"
        )
        self.reason = "differs from the URL"


# -- not found (404 / OCPI 2001) -----------------------------------------------------------------------


class UnknownSessionError(ChargingError, NotFoundError):
    """A PATCH, GET or charging-preferences PUT names a session we do not hold."""

    code = "charging.unknown_session"

    def __init__(self) -> None:
        NotFoundError.__init__(self, UNKNOWN_SESSION)


class ForeignPartyError(ChargingError, NotFoundError):
    """R-2: a party pushes or reads under another party's identity; hidden as an unknown session."""

    code = "charging.foreign_party"

    def __init__(self) -> None:
        NotFoundError.__init__(self, UNKNOWN_SESSION)


# -- business rules (409 / OCPI 2001) ------------------------------------------------------------------


class StatusTransitionError(ChargingError, RuleViolationError):
    """CH-14: a status change the transitions of the spec do not allow."""

    code = "charging.status_transition_refused"

    def __init__(self, from_status: str, to_status: str) -> None:
        RuleViolationError.__init__(self, f"Session status cannot change from {from_status} to {to_status}")


class SessionFinalError(ChargingError, RuleViolationError):
    """R-7, CH-14: a COMPLETED or INVALID session takes no more changes."""

    code = "charging.session_final"

    def __init__(self, status: str) -> None:
        RuleViolationError.__init__(self, f"Session is {status}: no more changes are accepted")


class CurrencyChangeError(ChargingError, RuleViolationError):
    """CH-22: the currency is fixed when the session is created."""

    code = "charging.currency_fixed"

    def __init__(self, stored: str, given: str) -> None:
        RuleViolationError.__init__(self, f"Session currency is {stored} and cannot change to {given}")


class PeriodOrderError(ChargingError, RuleViolationError):
    """R-19, CH-12: each charging period starts after the one before it."""

    code = "charging.periods_out_of_order"

    def __init__(self, start: datetime, previous: datetime) -> None:
        RuleViolationError.__init__(
            self,
            "Charging periods must be in chronological order: a period starting at "
            f"{format_datetime(start)} cannot follow one starting at {format_datetime(previous)}",
        )
