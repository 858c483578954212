"""Fixtures in factory + default pairs.

Integration and e2e tests run against the real PostgreSQL and Kafka: the configured ones, or the
local ones, started here when they are not running.  Each test session gets its own database and
topic prefix, so it never sees another run's data; tests use fresh ids instead of truncating.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import psycopg
import pytest

from infra.container import Container, Endpoints, resolve_endpoints
from infra.service import Service
from infra.settings import Settings, get_settings

T = TypeVar("T")
WRITE_TOKEN = "test-write-token"
READ_TOKEN = "test-read-token"
AUDIT_TOKEN = "test-audit-token"


def wait_for(check: Callable[[], T], timeout: float = 20.0, interval: float = 0.05) -> T:
    """Polls ``check`` until it returns something truthy; fails the test with the last value."""
    deadline = time.monotonic() + timeout
    value = check()
    while not value:
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s (last value: {value!r})")
        time.sleep(interval)
        value = check()
    return value


def create_database(server_url: str, name: str) -> str:
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return server_url.rsplit("/", 1)[0] + "/" + name


@pytest.fixture(scope="session")
def endpoints() -> Endpoints:
    """The real services; a missing one is started, never skipped."""
    return resolve_endpoints(get_settings())


@pytest.fixture(scope="session")
def container_factory(endpoints: Endpoints) -> Iterator[Callable[[], Container]]:
    made: list[Container] = []

    def make() -> Container:
        name = f"test_{uuid.uuid4().hex[:10]}"
        settings = Settings(
            SESSIONSTREAM_TOPIC_PREFIX=f"{name}.",
            SESSIONSTREAM_API_TOKENS=f"{WRITE_TOKEN}:write,{READ_TOKEN}:read,{AUDIT_TOKEN}:audit",
        )
        container = Container(settings, Endpoints(create_database(endpoints.database_url, name), endpoints.kafka_bootstrap))
        made.append(container)
        return container

    yield make
    for container in made:
        container.close()


@pytest.fixture(scope="session")
def service(container_factory: Callable[[], Container]) -> Iterator[Service]:
    """The whole service (relay, every read model, inbound) in this process, for the session."""
    svc = Service.assemble(container_factory())
    svc.start()
    yield svc
    svc.stop()


@pytest.fixture
def container(service: Service) -> Container:
    return service.container


@pytest.fixture
def app(container: Container) -> Any:
    return container.app


def read_row(container: Container, query: str, *params: Any) -> Any:
    with container.pool.connection() as conn:
        return conn.execute(query, params).fetchone()


def all_records(container: Container, topic: str) -> list[Any]:
    """Every record of a domain topic (logical name) of this container, from the beginning to its end."""
    from infra.kafka import read_topic
    from producers import topics

    return read_topic(container.endpoints.kafka_bootstrap, topics.physical(topic, container.settings.topic_prefix))
