"""The classroom HTTP contract that needs no database: route order, problem documents of the rule
families (403 with the source's ``error``, 409 transitions with ``from``/``to``), request validation."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, cast
from uuid import uuid4

import pytest
from fastapi.testclient import TestClient

from domain.classroom.errors import InvalidTransitionError, OwnerOnlyError, TeacherRequiredError
from domain.shared.clock import FrozenClock
from infra.api import context
from infra.api.app import create_app
from infra.container import Container
from infra.settings import Settings

WRITE = {"Authorization": "Bearer w-token"}
NOW = datetime(2031, 3, 1, 12, tzinfo=timezone.utc)


class Tripwire:
    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        raise AssertionError(f"{self._name}.{attr} was touched")


class Raising:
    """An application whose every command raises ``error``."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    def __getattr__(self, attr: str) -> Any:
        def command(*args: Any, **kwargs: Any) -> Any:
            raise self.error

        return command


@dataclass
class FakeContainer:
    settings: Settings = field(default_factory=lambda: Settings(SESSIONSTREAM_API_TOKENS="w-token:write"))
    clock: FrozenClock = field(default_factory=lambda: FrozenClock(NOW))
    classroom: Any = field(default_factory=lambda: Tripwire("classroom"))
    pool: Any = field(default_factory=lambda: Tripwire("pool"))


def client(fake: FakeContainer) -> TestClient:
    return TestClient(create_app(cast(Container, fake)), raise_server_exceptions=False)


def test_upcoming_is_not_taken_for_a_live_session_id(monkeypatch: pytest.MonkeyPatch):
    asked: list = []
    monkeypatch.setattr(context, "read", lambda _container, query: asked.append(query) or [])
    answer = client(FakeContainer()).get("/live-sessions/upcoming", params={"actor_id": str(uuid4())}, headers=WRITE)
    assert answer.status_code == 200 and answer.json() == [] and len(asked) == 1


def test_upcoming_needs_an_actor():
    answer = client(FakeContainer()).get("/live-sessions/upcoming", headers=WRITE)
    assert answer.status_code == 422 and answer.json()["field"] == "actor_id"


def test_a_status_in_a_create_is_refused_before_the_application_is_asked():
    answer = client(FakeContainer()).post(
        f"/classrooms/{uuid4()}/live-sessions",
        headers=WRITE,
        json={"actor_id": str(uuid4()), "title": "x", "scheduled_at": "2031-03-01T18:00:00Z", "status": "live"},
    )
    assert answer.status_code == 422 and answer.json()["code"] == "live_session.status.read_only"


@pytest.mark.parametrize("body", [
    {"title": "x", "scheduled_at": "2031-03-01T18:00:00Z"},  # no actor
    {"actor_id": "me", "title": "x", "scheduled_at": "2031-03-01T18:00:00Z"},
    {"actor_id": str(uuid4()), "title": "x", "scheduled_at": "2031-03-01"},  # a date is not an instant
    {"actor_id": str(uuid4()), "title": "x", "scheduled_at": "2031-03-01T18:00:00Z", "duration_minutes": "60"},
    {"actor_id": str(uuid4()), "title": "x", "scheduled_at": "2031-03-01T18:00:00Z", "colour": "red"},
])  # fmt: skip
def test_a_malformed_create_is_422_and_asks_nothing(body):
    answer = client(FakeContainer()).post(f"/classrooms/{uuid4()}/live-sessions", headers=WRITE, json=body)
    assert answer.status_code == 422 and answer.json()["code"] == "validation.invalid"


def test_a_forbidden_actor_gets_403_with_the_sources_error_field():
    fake = FakeContainer(classroom=Raising(TeacherRequiredError()))
    answer = client(fake).post(
        f"/classrooms/{uuid4()}/live-sessions",
        headers=WRITE,
        json={"actor_id": str(uuid4()), "title": "x", "scheduled_at": "2031-03-01T18:00:00Z"},
    )
    body = answer.json()
    assert answer.status_code == 403 and answer.headers["content-type"] == "application/problem+json"
    assert body["code"] == "live_session.teacher_required"
    assert body["detail"] == body["error"] == "Only teachers can create sessions. Apply to become a teacher first."


@pytest.mark.parametrize("action", ["start", "end", "cancel"])
def test_an_invalid_transition_is_409_with_from_and_to(action):
    fake = FakeContainer(classroom=Raising(InvalidTransitionError("completed", "live")))
    answer = client(fake).post(f"/live-sessions/{uuid4()}/{action}", headers=WRITE, json={"actor_id": str(uuid4())})
    body = answer.json()
    assert answer.status_code == 409
    assert (body["code"], body["from"], body["to"]) == ("session.invalid_transition", "completed", "live")
    assert body["detail"] == "A completed session cannot become live."


def test_a_members_command_of_the_teacher_is_403():
    fake = FakeContainer(classroom=Raising(OwnerOnlyError()))
    answer = client(fake).post(
        f"/live-sessions/{uuid4()}/reminders", headers=WRITE, json={"actor_id": str(uuid4()), "minutes": 30}
    )
    assert answer.status_code == 403 and answer.json()["code"] == "live_session.owner_only"


def test_removing_a_reminder_needs_an_actor():
    answer = client(FakeContainer()).delete(f"/live-sessions/{uuid4()}/reminders/30", headers=WRITE)
    assert answer.status_code == 422 and answer.json()["field"] == "actor_id"
