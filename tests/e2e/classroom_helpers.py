"""What the classroom e2e tests share: a classroom with a teacher and students, made over HTTP."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any
from uuid import uuid4

import httpx

from tests.support.waiting import wait_for

LESSON_AT = datetime(2031, 3, 1, 18, tzinfo=timezone.utc)


def iso(instant: datetime) -> str:
    return instant.strftime("%Y-%m-%dT%H:%M:%SZ")


def minute(n: float, start: datetime = LESSON_AT) -> str:
    return iso(start + timedelta(minutes=n))


def ok(response: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.text)
    return response.json()


def problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.text)
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["code"] == code, body
    assert body["status"] == status
    return body


@dataclass
class Room:
    """A classroom made over HTTP: its teacher and active students."""

    http: httpx.Client
    id: str
    teacher: str
    students: list[str] = field(default_factory=list)
    version: int = 1

    def settled(self) -> dict[str, Any]:
        """The classroom as its read model shows it once it reflects every membership change made here."""
        return ok(self.http.get(f"/classrooms/{self.id}", params={"min_version": self.version}))

    def schedule(self, **values: Any) -> dict[str, Any]:
        values.setdefault("title", "Modal verbs")
        values.setdefault("scheduled_at", iso(LESSON_AT))
        values.setdefault("actor_id", self.teacher)
        return ok(self.http.post(f"/classrooms/{self.id}/live-sessions", json=values), 201)

    def act(self, session_id: str, action: str, actor: str, at: str | None = None) -> httpx.Response:
        body: dict[str, Any] = {"actor_id": actor}
        if at is not None:
            body["at"] = at
        return self.http.post(f"/live-sessions/{session_id}/{action}", json=body)


def new_room(http: httpx.Client, students: int = 3) -> Room:
    teacher = str(uuid4())
    created = ok(http.post("/classrooms", json={"name": "German B1", "teacher_id": teacher}), 201)
    room = Room(http, created["id"], teacher)
    for _ in range(students):
        student = str(uuid4())
        room.version = ok(http.post(f"/classrooms/{room.id}/members", json={"student_id": student}), 201)["version"]
        room.students.append(student)
    return room


def wait_until_served(http: httpx.Client, timeout: float = 90.0) -> None:
    """Waits until the service's classroom read models serve (consumers assigned, relay running)."""
    room = new_room(http, students=0)
    wait_for(lambda: http.get(f"/classrooms/{room.id}", params={"min_version": 1, "wait_ms": 1000}).status_code == 200,
             timeout=timeout)  # fmt: skip
