"""The one place that decides what a failure means: retry the batch, dead-letter a record, or stop."""

from __future__ import annotations

from enum import Enum

import psycopg
from pydantic import ValidationError


class Action(str, Enum):
    RETRY = "retry"  # transient: the same batch is tried again after a pause
    DEAD_LETTER = "dead_letter"  # the record itself is bad: park it, go on
    STOP = "stop"  # a bug or a broken dependency: stop and let /readyz say so


def classify(error: BaseException) -> Action:
    if isinstance(error, (ValidationError, UnicodeDecodeError, ValueError)):
        return Action.DEAD_LETTER
    if isinstance(error, (psycopg.OperationalError, psycopg.errors.SerializationFailure, TimeoutError)):
        return Action.RETRY
    return Action.STOP
