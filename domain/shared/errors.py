"""The error root shared by every context.

Each error carries a stable dotted ``code`` and a message.  The HTTP layer maps the four families to
problem responses: not found -> 404, a business rule refused the command -> 409, malformed input -> 422,
the actor may not do this -> 403.
"""

from __future__ import annotations


class DomainError(Exception):
    code = "domain.error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class NotFoundError(DomainError):
    code = "not_found"


class ForbiddenError(DomainError):
    """The actor is known and may see the resource, but may not do this (403)."""

    code = "forbidden"


class RuleViolationError(DomainError):
    """A business rule refused the command (the spec's messages, word for word)."""

    code = "rule.violation"


class InvalidInputError(DomainError):
    """The command's input is malformed; ``field`` names the culprit."""

    code = "validation.invalid"

    def __init__(self, field: str, message: str, *, code: str | None = None) -> None:
        super().__init__(message, code=code)
        self.field = field


class ConcurrencyError(DomainError):
    """A command kept losing optimistic-concurrency races and gave up."""

    code = "concurrency.retries_exhausted"


class IdReusedError(RuleViolationError):
    """A create repeated a client-chosen id with a different body (409)."""

    code = "conflict.id_reused"

    def __init__(self, kind: str) -> None:
        super().__init__(f"A {kind} with this id already exists with different values.")
