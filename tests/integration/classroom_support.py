"""What the classroom integration tests share: a lesson made through the application, webhooks
published on the real broker, their outcomes read back, and the read models queried."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any
from uuid import UUID

from kafka import KafkaConsumer

from infra import kafka
from infra.api.context import read
from producers import topics
from producers.classroom import topics as classroom_topics
from projections.classroom import attendance, live_sessions
from tests.support.waiting import wait_for

LESSON_AT = datetime(2031, 3, 1, 18, tzinfo=timezone.utc)


def minute(n: float, start: datetime = LESSON_AT) -> datetime:
    return start + timedelta(minutes=n)


def iso(instant: datetime) -> str:
    return instant.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Lesson:
    teacher: UUID
    classroom_id: UUID
    students: list[UUID]
    session_id: UUID


def new_lesson(app: Any, students: int = 4, **values: Any) -> Lesson:
    teacher = uuid.uuid4()
    classroom_id = app.create_classroom(name="German B1", teacher_id=teacher).id
    members = [uuid.uuid4() for _ in range(students)]
    for student in members:
        app.add_member(classroom_id, student)
    values.setdefault("title", "Modal verbs")
    values.setdefault("scheduled_at", LESSON_AT)
    session_id = app.schedule_live_session(classroom_id, actor_id=teacher, **values).id
    return Lesson(teacher, classroom_id, members, session_id)


def webhook(event: str, room: UUID, at: datetime, participant: UUID | None = None, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"message_id": str(uuid.uuid4()), "event": event, "room": str(room), "at": iso(at)}
    if participant is not None:
        body["participant"] = str(participant)
    return {**body, **extra}


def publish(container: Any, items: list[tuple[bytes, bytes]]) -> None:
    """Publishes ``(key, value)`` pairs on inbound.presence.v1, in order."""
    producer = kafka.producer(container.endpoints.kafka_bootstrap)
    name = topics.physical(classroom_topics.INBOUND_PRESENCE, container.settings.topic_prefix)
    for key, value in items:
        producer.send(name, key=key, value=value, headers=[("origin", b"video-platform")])
    producer.flush()
    producer.close()


def as_record(body: dict[str, Any]) -> tuple[bytes, bytes]:
    return body["room"].encode(), json.dumps(body).encode()


class TopicReader:
    """Reads a topic of this container from its beginning, accumulating across calls."""

    def __init__(self, container: Any, topic: str) -> None:
        self.consumer = KafkaConsumer(
            topics.physical(topic, container.settings.topic_prefix),
            bootstrap_servers=container.endpoints.kafka_bootstrap,
            auto_offset_reset="earliest", enable_auto_commit=False, group_id=None,
        )  # fmt: skip
        self.records: list[Any] = []

    def read(self) -> list[Any]:
        for batch in self.consumer.poll(timeout_ms=200).values():
            self.records += batch
        return self.records

    def close(self) -> None:
        self.consumer.close()


def outcomes_reader(container: Any) -> TopicReader:
    return TopicReader(container, topics.outcomes_topic(classroom_topics.INBOUND_PRESENCE))


def outcomes_of(reader: TopicReader, message_ids: set[str], timeout: float = 30.0) -> list[dict[str, Any]]:
    """Waits until every id has at least one outcome; returns the outcomes of those ids, in order."""

    def mine() -> list[dict[str, Any]]:
        return [json.loads(r.value) for r in reader.read() if json.loads(r.value)["message_id"] in message_ids]

    wait_for(lambda: {o["message_id"] for o in mine()} >= message_ids, timeout=timeout)
    return mine()


def report(container: Any, session_id: UUID, min_version: int = 1, timeout: float = 30.0) -> dict[str, Any]:
    """The attendance report read model once it reflects ``min_version``."""
    return wait_for(lambda: _report_at(container, session_id, min_version), timeout=timeout)


def _report_at(container: Any, session_id: UUID, min_version: int) -> dict[str, Any] | None:
    found = read(container, lambda cur: attendance.report(cur, session_id))
    return found if found is not None and found["version"] >= min_version else None


def session_row(container: Any, session_id: UUID, min_version: int = 1) -> dict[str, Any]:
    def at_version() -> dict[str, Any] | None:
        row = read(container, lambda cur: live_sessions.get_live_session(cur, session_id))
        return row if row is not None and row["version"] >= min_version else None

    return wait_for(at_version, timeout=30)


def members_settled(container: Any, classroom_id: UUID, version: int) -> None:
    """Waits until the memberships read model reflects the classroom at ``version``."""
    from projections.classroom.memberships import get_classroom

    wait_for(lambda: (read(container, lambda cur: get_classroom(cur, classroom_id)) or {}).get("version", 0) >= version,
             timeout=30)  # fmt: skip
