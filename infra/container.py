"""Assembles the system from settings: the applications, the pool, the relay, the consumers.

Everything that runs (``sessionstream run``, the API, tests, the benchmark) builds its parts here,
so they are wired one way only.  There is one application per context, all over one event store
(``domain.shared.application``): they share its connection pool and its notification log.  A new
context is one entry in ``CONTEXT_APPLICATIONS``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool

from consumers.charging.inbound import CHARGING_INBOUND_MESSAGES, InboundOcpiSessions
from consumers.classroom.notifications import ClassroomSender
from consumers.classroom.presence import InboundPresence
from consumers.dispatcher import Dispatcher
from consumers.eventsessions.auto_end import AutoEnd
from consumers.eventsessions.inbound_registrations import INBOUND_MESSAGES, InboundRegistrations
from consumers.eventsessions.notifications import EventSessionsSender
from consumers.music.clock import MusicClock
from consumers.music.inbound_tunelog import InboundTuneLog
from consumers.projector import PROJECTION_ERRORS, Projector
from consumers.runner import ConsumerRunner
from domain.charging.application import ChargingSessions
from domain.classroom.application import Classrooms
from domain.eventsessions.application import EventSessions
from domain.music.application import MusicSessions
from domain.shared.application import ContextApplication
from domain.shared.clock import Clock, SystemClock
from infra import kafka
from infra.audit.chain import AUDIT_CHAIN
from infra.postgres import Timeouts, eventstore_env, make_pool
from infra.settings import Settings
from producers.catalogue import REGISTRY, TOPICS
from producers.claim_check import ClaimChecks
from producers.relay import Relay, Scope
from projections.base import BOOKKEEPING, component
from projections.catalogue import DUE_QUERIES, LIVE_SCHEMA, PROJECTIONS
from projections.migrations import Component, Migration, migrate

log = logging.getLogger(__name__)

#: Every context's application class; the first one builds the event store's infrastructure.
CONTEXT_APPLICATIONS: tuple[type[ContextApplication], ...] = (
    EventSessions,
    ChargingSessions,
    Classrooms,
    MusicSessions,
)

#: The relay's positions, beside the event store (schema ``public``).
RELAY_POSITIONS = Component("relay_positions", (
    Migration("0001_create", "CREATE TABLE IF NOT EXISTS relay_positions ("
              " name text PRIMARY KEY, notification_id bigint NOT NULL)"),
))  # fmt: skip


@dataclass(frozen=True)
class Endpoints:
    database_url: str
    kafka_bootstrap: str


def resolve_endpoints(settings: Settings) -> Endpoints:
    """The configured PostgreSQL and Kafka, or the local ones, started when they are not running."""
    if settings.database_url is not None and settings.kafka_bootstrap_servers:
        return Endpoints(settings.database_url.get_secret_value(), settings.kafka_bootstrap_servers)
    from infra.local import services

    env = services.up(settings)
    return Endpoints(env["DATABASE_URL"], env["KAFKA_BOOTSTRAP_SERVERS"])


class PgPosition:
    """The relay's position, in PostgreSQL beside the event store.

    A position not recorded yet starts at ``fallback``'s, when that one is: a scoped relay's first
    start takes over from the unscoped relay that ran before it (everything up to there is published).
    """

    def __init__(self, pool: ConnectionPool, name: str, fallback: str | None = None) -> None:
        self.pool = pool
        self.name = name
        self.fallback = fallback

    def load(self) -> int:
        names = [self.name] if self.fallback is None else [self.name, self.fallback]
        with self.pool.connection() as conn:
            rows: dict[str, int] = dict(conn.execute(
                "SELECT name, notification_id FROM public.relay_positions WHERE name = ANY(%s)", (names,)
            ).fetchall())  # fmt: skip
        found = rows.get(self.name, rows.get(self.fallback or ""))
        return int(found) if found is not None else 0

    def save(self, notification_id: int) -> None:
        with self.pool.connection() as conn, conn.transaction():
            # Not waiting for the WAL flush is safe: a position lost in a database crash is an older
            # position, and an older position only re-sends what was already acknowledged.
            conn.execute("SET LOCAL synchronous_commit = off")
            conn.execute(
                "INSERT INTO public.relay_positions (name, notification_id) VALUES (%s, %s)"
                " ON CONFLICT (name) DO UPDATE SET notification_id = EXCLUDED.notification_id",
                (self.name, notification_id),
            )


def schema_plan(schema: str = LIVE_SCHEMA) -> list[tuple[str, list[Component]]]:
    """Every schema the service owns and the migration components in it, in the order they run."""
    readmodels = [
        BOOKKEEPING,
        *(component(p) for p in PROJECTIONS.values()),
        INBOUND_MESSAGES,
        CHARGING_INBOUND_MESSAGES,
        PROJECTION_ERRORS,
    ]
    return [("public", [RELAY_POSITIONS, AUDIT_CHAIN]), (schema, readmodels)]


def prepare_schema(pool: ConnectionPool, schema: str = LIVE_SCHEMA) -> list[str]:
    """Migrates the service's tables to the latest (``projections.migrations``); returns what it applied."""
    applied: list[str] = []
    for name, components in schema_plan(schema):
        with pool.connection() as conn, conn.transaction():
            applied += [f"{name}.{a}" for a in migrate(conn.cursor(), name, components)]
    if applied:
        log.info("schema migrated", extra={"applied": applied})
    return applied


@dataclass
class Container:
    settings: Settings
    endpoints: Endpoints
    clock: Clock = field(default_factory=SystemClock)
    #: Off in processes started after ``prepare()`` (concurrent CREATE ... IF NOT EXISTS can fail).
    create_event_store: bool = True
    #: Connections the event store's pool keeps (a relay process reads with one or two).
    store_pool_size: int = 10
    #: Whether the event store's pool checks a connection before handing it out: off in a relay
    #: process, which starts over after any failure anyway (the check is a round trip per read).
    store_pre_ping: bool = True
    _apps: dict[str, ContextApplication] | None = None
    _pool: ConnectionPool | None = None
    _producer: Any = None

    @property
    def apps(self) -> dict[str, ContextApplication]:
        """Each context's application by context name, all over one event store and one pool."""
        if self._apps is None:
            env = {
                **eventstore_env(
                    self.endpoints.database_url, create_table=self.create_event_store,
                    pool_size=self.store_pool_size, timeouts=Timeouts.of(self.settings),
                    pre_ping=self.store_pre_ping,
                ),
                **self.settings.application_env(),
            }  # fmt: skip
            first, *others = CONTEXT_APPLICATIONS
            store = first(env=env, clock=self.clock)
            apps = {store.context: store}
            for cls in others:
                apps[cls.context] = cls(env=env, clock=self.clock, factory=store.factory)
            self._apps = apps
        return self._apps

    @property
    def event_store(self) -> ContextApplication:
        """An application whose recorder and mapper read the whole shared log (any context's events)."""
        return next(iter(self.apps.values()))

    @property
    def eventsessions(self) -> EventSessions:
        app = self.apps[EventSessions.context]
        assert isinstance(app, EventSessions)
        return app

    @property
    def classroom(self) -> Classrooms:
        app = self.apps[Classrooms.context]
        assert isinstance(app, Classrooms)
        return app

    @property
    def charging(self) -> ChargingSessions:
        app = self.apps[ChargingSessions.context]
        assert isinstance(app, ChargingSessions)
        return app

    @property
    def music(self) -> MusicSessions:
        app = self.apps[MusicSessions.context]
        assert isinstance(app, MusicSessions)
        return app

    @property
    def app(self) -> EventSessions:
        """The event-sessions application (the name older callers use)."""
        return self.eventsessions

    @property
    def pool(self) -> ConnectionPool:
        if self._pool is None:
            self._pool = make_pool(self.endpoints.database_url, max_size=20, timeouts=Timeouts.of(self.settings))
        return self._pool

    @property
    def producer(self) -> Any:
        """The process's producer; a new one once the last is stuck (``kafka.STUCK_AFTER_S``):
        its users fail with ``ClientStuck`` and their supervisors rebuild them from here."""
        if self._producer is not None and self._producer.stuck:
            self._producer.close(0)  # its unacknowledged messages are sent again by their owners
            self._producer = None
        if self._producer is None:
            self._producer = kafka.producer(self.endpoints.kafka_bootstrap)
        return self._producer

    def prepare(self) -> None:
        """Schema and topics: an empty database and an empty broker are enough to start.

        Processes preparing one database at once (two instances starting, two CLI runs racing) take turns
        under an advisory lock: concurrent DDL on the same catalog rows fails ("tuple concurrently updated")."""
        with psycopg.connect(self.endpoints.database_url, autocommit=True) as turn:
            turn.execute("SELECT pg_advisory_lock(hashtext('sessionstream.prepare'))")  # released on close
            self.eventsessions.timeslots()  # creates the event store's tables, and the seeded timeslot catalogue
            prepare_schema(self.pool)
        kafka.ensure_topics(
            self.endpoints.kafka_bootstrap,
            self.settings.topic_prefix,
            self.settings.topic_partitions,
            [t.name for t in TOPICS],
        )

    def relay_position_name(self, scope: Scope | None = None) -> str:
        whole = f"{self.settings.topic_prefix}relay.{self.event_store.name}"
        return whole if scope is None else f"{whole}.{scope.name}"

    def relay(self, scope: Scope | None = None, **kwargs: Any) -> Relay:
        """The relay of the whole log, or of one scope (see ``producers.relay``)."""
        name = self.relay_position_name(scope)
        fallback = None if scope is None else self.relay_position_name()
        return Relay(
            self.event_store,
            self.producer,
            PgPosition(self.pool, name, fallback),
            REGISTRY,
            topic_prefix=self.settings.topic_prefix,
            batch_size=self.settings.relay_batch_size,
            scope=scope,
            **kwargs,
        )

    def dispatcher(self) -> Dispatcher:
        senders = {
            "eventsessions": EventSessionsSender(self.eventsessions),
            "classroom": ClassroomSender(self.classroom),
        }
        return Dispatcher(DUE_QUERIES, senders, self.pool, LIVE_SCHEMA, self.clock, self.settings.dispatch_interval_s)

    def auto_end(self) -> AutoEnd:
        return AutoEnd(self.app, self.pool, LIVE_SCHEMA, self.clock, self.settings.auto_end_interval_s)

    def projection_runner(self, name: str, **kwargs: Any) -> ConsumerRunner:
        return ConsumerRunner(
            Projector(PROJECTIONS[name], self.settings.topic_prefix, ClaimChecks(self.event_store, REGISTRY).resolve),
            lambda group: kafka.consumer(self.endpoints.kafka_bootstrap, group),
            self.pool,
            self.producer,
            schema=LIVE_SCHEMA,
            max_records=self.settings.consumer_max_records,
            **kwargs,
        )

    def inbound_handlers(self) -> dict[str, Any]:
        """Every context's inbound-topic handler, by worker name (a new context adds its own here)."""
        return {
            "inbound:registrations": InboundRegistrations(
                self.eventsessions, self.producer, self.settings.topic_prefix
            ),
            "inbound:presence": InboundPresence(self.classroom, self.producer, self.settings.topic_prefix),
            "inbound:ocpi-sessions": InboundOcpiSessions(self.charging, self.producer, self.settings.topic_prefix),
            "inbound:tunelog": InboundTuneLog(self.music, self.producer, self.settings.topic_prefix),
        }

    def inbound_runner(self, handler: Any, **kwargs: Any) -> ConsumerRunner:
        return ConsumerRunner(
            handler,
            lambda group: kafka.consumer(self.endpoints.kafka_bootstrap, group),
            self.pool,
            self.producer,
            schema=LIVE_SCHEMA,
            max_records=getattr(handler, "max_records", 200),
            **kwargs,
        )

    def jobs(self) -> list[Any]:
        """The clock-driven jobs ``sessionstream run`` runs: the dispatcher of every context's
        notifications, then each context's own (a new context adds its own here)."""
        return [self.dispatcher(), self.auto_end(), MusicClock(self.music, self.clock)]

    def close(self) -> None:
        if self._producer is not None:
            self._producer.close(timeout=10)
        if self._pool is not None:
            self._pool.close()
        if self._apps is not None:
            for app in reversed(list(self._apps.values())):  # the first one closes the shared pool
                app.close()


def build(settings: Settings, clock: Clock | None = None) -> Container:
    return Container(settings, resolve_endpoints(settings), clock or SystemClock())
