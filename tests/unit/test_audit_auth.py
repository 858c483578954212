"""The ``audit`` role: ``/audit/*`` for audit tokens only, and audit tokens for nothing else."""

from __future__ import annotations

from typing import Any, cast

import pytest
from fastapi.testclient import TestClient

from infra.api.app import create_app
from infra.api.auth import is_audit_path
from infra.container import Container
from infra.settings import Settings


class Tripwire:
    def __getattr__(self, attr: str) -> Any:
        raise AssertionError(f"the request reached {attr}")


class FakeContainer:
    settings = Settings(SESSIONSTREAM_API_TOKENS="w:write,r:read,a:audit")
    app = pool = clock = Tripwire()


@pytest.fixture
def client() -> TestClient:
    return TestClient(create_app(cast(Container, FakeContainer())), raise_server_exceptions=False)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize("token", ["w", "r"])
def test_write_and_read_tokens_are_refused_on_the_audit(client, token):
    response = client.get("/audit/log", headers=bearer(token))

    assert response.status_code == 403
    assert response.json()["code"] == "auth.forbidden"


@pytest.mark.parametrize(("method", "path"), [("GET", "/timeslots"), ("GET", "/notifications/due"),
                                              ("POST", "/events")])  # fmt: skip
def test_an_audit_token_is_refused_outside_the_audit(client, method, path):
    assert client.request(method, path, headers=bearer("a")).status_code == 403


def test_the_audit_without_a_token_is_unauthenticated(client):
    assert client.get("/audit/log").status_code == 401


def test_the_published_schemas_need_no_token(client):
    response = client.get("/asyncapi.json")

    assert response.status_code == 200 and response.json()["asyncapi"] == "3.0.0"


def test_audit_is_a_role_of_the_token_settings():
    assert Settings(SESSIONSTREAM_API_TOKENS="a1:audit,w:write").tokens() == {"a1": "audit", "w": "write"}
    with pytest.raises(ValueError):
        Settings(SESSIONSTREAM_API_TOKENS="x:admin").tokens()


def test_only_paths_under_audit_are_audit_paths():
    assert is_audit_path("/audit/log") and is_audit_path("/audit/aggregates/x/events")
    assert not is_audit_path("/auditing") and not is_audit_path("/events")
