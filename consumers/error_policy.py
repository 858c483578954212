"""The one place that decides what a failure means, and how long to wait before trying again.

``classify`` tells three kinds of failure apart at every boundary (the consumer runner, a read
model's records, the relay, the supervisor):

- ``RETRY``: a dependency is away (PostgreSQL restarting or unreachable, a broker outage, a lock or
  serialisation conflict).  Transient whatever its length: the same work is tried again, forever,
  nothing is skipped, and the worker catches up when the dependency returns.
- ``DEAD_LETTER``: the record itself cannot be stored (bad JSON, a value out of range, NUL in text).
  Permanent for that record only: it is parked (dead-letter topic, ``projection_errors``) and the
  worker goes on with the next one.
- ``STOP``: a bug or a broken schema.  The worker stops and its supervisor restarts it with backoff;
  ``/readyz`` shows the error meanwhile.

The waits are tenacity policies, one per kind of retry: ``RESTART`` (a supervisor restarting a
worker) and ``TRANSIENT`` (a batch or a read waiting for a dependency).
"""

from __future__ import annotations

from enum import Enum

import psycopg
from confluent_kafka import KafkaError, KafkaException
from eventsourcing import persistence as es
from psycopg_pool import PoolTimeout
from pydantic import ValidationError
from tenacity import wait_exponential_jitter

from domain.shared.errors import ConcurrencyError


class Action(str, Enum):
    RETRY = "retry"  # transient: the same work is tried again after a pause
    DEAD_LETTER = "dead_letter"  # the record itself is bad: park it, go on
    STOP = "stop"  # a bug: the worker stops, its supervisor restarts it


#: A supervisor restarting a worker: 0.5 s, 1 s, 2 s, ... up to 30 s, each with up to 1 s of jitter
#: (so that the workers of one instance, or of two, do not all retry at the same instant).
RESTART = wait_exponential_jitter(multiplier=0.5, max=30.0, jitter=1.0)
#: A batch, a read or a lock waiting for PostgreSQL or the broker: 0.1 s up to 5 s.
TRANSIENT = wait_exponential_jitter(multiplier=0.1, max=5.0, jitter=0.5)

#: PostgreSQL errors that say the server, the network or a concurrent transaction was in the way.
_PG_TRANSIENT = (
    psycopg.OperationalError,  # connection refused or lost, AdminShutdown, QueryCanceled (timeouts), ...
    psycopg.errors.SerializationFailure,
    psycopg.errors.DeadlockDetected,
    psycopg.errors.LockNotAvailable,
    psycopg.InterfaceError,  # "the connection is closed"
    PoolTimeout,
    es.OperationalError,  # the same, as the event store's recorders re-raise them
    es.InterfaceError,
    es.RecordConflictError,  # a concurrent writer of the same aggregate: try again
    ConcurrencyError,
)
#: Values PostgreSQL refuses to store: out of range, NUL in text, a broken constraint.
_PG_BAD_VALUE = (psycopg.DataError, psycopg.IntegrityError, es.DataError, es.IntegrityError)


def classify(error: BaseException) -> Action:
    if isinstance(error, _PG_TRANSIENT):
        return Action.RETRY
    if isinstance(error, _PG_BAD_VALUE):
        return Action.DEAD_LETTER
    if isinstance(error, KafkaException):
        return Action.RETRY if _kafka_transient(error.args[0] if error.args else None) else Action.STOP
    if isinstance(error, (TimeoutError, ConnectionError)):
        return Action.RETRY
    if isinstance(error, (ValidationError, UnicodeError, ValueError, ArithmeticError)):
        return Action.DEAD_LETTER
    return Action.STOP


def transient(error: BaseException) -> bool:
    return classify(error) is Action.RETRY


def _kafka_transient(error: object) -> bool:
    if not isinstance(error, KafkaError):
        return True
    return not error.fatal() and (error.retriable() or error.code() in _KAFKA_AWAY)


#: librdkafka's local codes for "the broker is away": not marked retriable, but they are.
_KAFKA_AWAY = {
    KafkaError._TRANSPORT,
    KafkaError._ALL_BROKERS_DOWN,
    KafkaError._TIMED_OUT,
    KafkaError._MSG_TIMED_OUT,
    KafkaError._RESOLVE,
    KafkaError._WAIT_COORD,
    KafkaError._MAX_POLL_EXCEEDED,
    KafkaError.NOT_COORDINATOR,
    KafkaError.COORDINATOR_NOT_AVAILABLE,
    KafkaError.COORDINATOR_LOAD_IN_PROGRESS,
    KafkaError.REBALANCE_IN_PROGRESS,
    KafkaError.UNKNOWN_TOPIC_OR_PART,
    KafkaError.LEADER_NOT_AVAILABLE,
    KafkaError.NOT_LEADER_FOR_PARTITION,
}
