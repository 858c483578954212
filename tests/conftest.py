"""Fixtures in factory + default pairs; the helpers they share live in ``tests/support``.

Integration and e2e tests run against the real PostgreSQL and Kafka: the configured ones, or the
local ones, started here when they are not running.  Each test session gets its own database and
topic prefix, so it never sees another run's data; tests use fresh ids instead of truncating.
Every test under ``tests/integration`` is marked ``integration``, under ``tests/e2e`` ``e2e``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from infra.container import Container, Endpoints, resolve_endpoints
from infra.service import Service
from infra.settings import Settings, get_settings
from tests.support.database import create_database
from tests.support.kafka import delete_topics
from tests.support.service import READ_TOKEN, WRITE_TOKEN
from tests.support.waiting import wait_for

#: OCPI credentials tokens of the test service's parties (charging): token -> COUNTRY:PARTY.
OCPI_TOKENS = (
    "cpo-nl-stk:NL:STK,cpo-be-bec:BE:BEC,cpo-de-abc:DE:ABC,cpo-us-aaa:US:AAA,emsp-nl-tst:NL:TST,"
    "cpo-fr-pag:FR:PAG,cpo-it-aaa:IT:AAA,cpo-it-bbb:IT:BBB,emsp-it-tok:IT:TOK,cpo-pt-dmo:PT:DMO"
)
AUDIT_TOKEN = "test-audit-token"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--fuzz-examples", default="8", help="Schemathesis examples per operation (e2e/test_fuzz.py).")


TESTS = Path(__file__).parent
MARKED_FOLDERS = {"integration": TESTS / "integration", "e2e": TESTS / "e2e"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The folder is the tier: ``-m "not integration and not e2e"`` runs what needs no network."""
    for item in items:
        for marker, folder in MARKED_FOLDERS.items():
            if folder in Path(str(item.path)).parents:
                item.add_marker(getattr(pytest.mark, marker))


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
            SESSIONSTREAM_OCPI_TOKENS=OCPI_TOKENS,
        )
        container = Container(
            settings, Endpoints(create_database(endpoints.database_url, name), endpoints.kafka_bootstrap)
        )
        made.append(container)
        return container

    yield make
    for container in made:
        container.close()
    if made:
        delete_topics(endpoints.kafka_bootstrap, [c.settings.topic_prefix for c in made])


@pytest.fixture(scope="session")
def service(container_factory: Callable[[], Container]) -> Iterator[Service]:
    """The whole service (relay, every read model, inbound) in this process, for the session."""
    svc = Service.assemble(container_factory())
    svc.start()
    # Relay processes take a few seconds to start on a busy machine: tests begin with every worker up.
    wait_for(lambda: all(w["up"] for w in svc.health()["workers"]), timeout=120, interval=0.1)
    yield svc
    svc.stop()


@pytest.fixture
def container(service: Service) -> Container:
    return service.container


@pytest.fixture
def app(container: Container) -> Any:
    return container.app
