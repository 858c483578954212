"""The classroom benchmark: a 5,000-student lesson's presence webhooks, end to end.

Run it alone with ``python -m infra.bench.classroom [--json PATH] [--students N]``.  It works in a fresh
database (``bench_classroom_<hex>``) under a fresh topic prefix, both removed at the end, with the
service's own parts running in this process as ``sessionstream run`` runs them: the relay's processes,
the ``inbound.presence.v1`` consumer, and the classroom read models' consumers.

What it measures (``measure`` returns these keys):

- ``presence_webhooks_per_s``: a classroom of N active students and one live session; N
  ``participant_joined`` then N ``participant_left`` webhooks (the joins start the session, B.2.4) are
  published on ``inbound.presence.v1`` (key = the room), timed from the first publish until the
  attendance report read model shows every student attended and left (2N webhooks / seconds).
  ``write_side_done_ms``: from the first publish until the event store holds the session's last
  attendance event (the consumer's part); ``publish_ms``: publishing and the broker's acks alone.
- ``room_finished_to_report_ms``: a ``room_finished`` webhook is published; timed until the report
  shows the session completed with its N rows (``report_rows``).
- Reference figures: ``apply_presence_direct_per_s`` (the application alone, no Kafka: the same 2N
  events through ``Classrooms.apply_presence`` in batches of the consumer's size, on a second session
  of the same classroom), ``attendance_report_query_ms`` (the report's query, N rows, as the GET runs
  it), ``setup_s`` (the classroom's N memberships, one command each).
"""

from __future__ import annotations

import argparse
import json
import secrets
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from uuid import UUID

from psycopg import sql

from consumers.classroom.presence import MAX_RECORDS
from domain.classroom.presence import PresenceEvent
from infra import kafka
from infra.api.context import read
from infra.bench.support import create_database, delete_topics, drop_database
from infra.container import Container, Endpoints, resolve_endpoints
from infra.postgres import events_table
from infra.service import Service
from infra.settings import Settings, get_settings
from producers import topics
from producers.classroom import topics as classroom_topics
from projections.classroom import attendance

READ_MODELS = ("classroom_memberships", "live_sessions", "classroom_attendance")
LESSON_AT = datetime(2031, 3, 1, 18, tzinfo=timezone.utc)


def _wait(condition: Callable[[], bool], timeout: float, what: str, interval: float = 0.01) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def _webhook(event: str, room: UUID, at: datetime, participant: UUID | None = None) -> bytes:
    body: dict[str, Any] = {"message_id": str(uuid.uuid4()), "event": event, "room": str(room),
                            "at": at.strftime("%Y-%m-%dT%H:%M:%SZ")}  # fmt: skip
    if participant is not None:
        body["participant"] = str(participant)
    return json.dumps(body).encode()


def _counts(container: Container, room: UUID) -> tuple[int, int]:
    """(students attended and left, rows with a status) of the room in the report read model."""
    statement = (
        "SELECT count(*) FILTER (WHERE status = 'attended' AND NOT connected AND left_at IS NOT NULL),"
        " count(*) FILTER (WHERE status IS NOT NULL) FROM classroom_attendance WHERE session_id = %s"
    )
    found = read(container, lambda cur: cur.execute(statement, (room,)).fetchone())
    assert found is not None  # an aggregate without GROUP BY answers one row
    return int(found[0]), int(found[1])


def _last_version(container: Container, room: UUID) -> int:
    with container.pool.connection() as conn:
        found = conn.execute(
            sql.SQL("SELECT max(originator_version) FROM {} WHERE originator_id = %s").format(
                sql.Identifier(events_table(container.app))  # the one store of every context
            ),
            (room,),
        ).fetchone()
    return int(found[0] or 0) if found else 0


def _report(container: Container, room: UUID) -> dict[str, Any] | None:
    return read(container, lambda cur: attendance.report(cur, room))


def measure(settings: Settings, students: int = 5000, timeout: float = 600.0) -> dict[str, float]:
    """Runs the scenario in a fresh database and topic prefix (see the module docstring)."""
    endpoints = resolve_endpoints(settings)
    tag = secrets.token_hex(4)
    dbname, prefix = f"bench_classroom_{tag}", f"bench_classroom_{tag}."
    database_url = create_database(endpoints.database_url, dbname)
    container = Container(settings.model_copy(update={"topic_prefix": prefix}),
                          Endpoints(database_url, endpoints.kafka_bootstrap))  # fmt: skip
    service = None
    try:
        service = Service.assemble(container, projections=READ_MODELS, jobs=False)
        service.start()
        return _scenario(container, students, timeout)
    finally:
        if service is not None:
            service.stop()
        container.close()
        drop_database(endpoints.database_url, dbname)
        delete_topics(endpoints.kafka_bootstrap, prefix)


def _scenario(container: Container, students: int, timeout: float) -> dict[str, float]:
    app = container.classroom
    results: dict[str, float] = {"students": students, "webhooks": 2 * students}
    started = time.perf_counter()
    teacher = uuid.uuid4()
    classroom_id = app.create_classroom(name="Bench", teacher_id=teacher).id
    members = [uuid.uuid4() for _ in range(students)]
    for student in members:
        app.add_member(classroom_id, student)
    room = app.schedule_live_session(classroom_id, actor_id=teacher, title="Bench lesson", scheduled_at=LESSON_AT).id
    _wait(lambda: (_report(container, room) or {}).get("total_enrolled") == students, timeout, "the memberships")
    results["setup_s"] = time.perf_counter() - started

    producer = kafka.producer(container.endpoints.kafka_bootstrap)
    name = topics.physical(classroom_topics.INBOUND_PRESENCE, container.settings.topic_prefix)
    key = str(room).encode()
    joins = [
        _webhook("participant_joined", room, LESSON_AT + timedelta(seconds=i % 600), s) for i, s in enumerate(members)
    ]
    leaves = [_webhook("participant_left", room, LESSON_AT + timedelta(minutes=30, seconds=i % 600), s)
              for i, s in enumerate(members)]  # fmt: skip
    t0 = time.perf_counter()
    for value in joins + leaves:
        producer.send(name, key=key, value=value)
    producer.flush()
    results["publish_ms"] = (time.perf_counter() - t0) * 1000
    last = 2 + 2 * students  # Scheduled, Started (by the first join), then one event per webhook
    _wait(lambda: _last_version(container, room) >= last, timeout, "the write side", interval=0.005)
    results["write_side_done_ms"] = (time.perf_counter() - t0) * 1000
    _wait(lambda: _counts(container, room)[0] >= students, timeout, "the report", interval=0.005)
    elapsed = time.perf_counter() - t0
    results["presence_webhooks_per_s"] = 2 * students / elapsed
    results["presence_seconds"] = elapsed

    t1 = time.perf_counter()
    producer.send(name, key=key, value=_webhook("room_finished", room, LESSON_AT + timedelta(hours=1)))
    producer.flush()

    def complete() -> bool:
        shown = _report(container, room)
        return shown is not None and shown["status"] == "completed" and len(shown["rows"]) >= students

    _wait(complete, timeout, "the completed report", interval=0.005)
    results["room_finished_to_report_ms"] = (time.perf_counter() - t1) * 1000
    producer.close()

    t2 = time.perf_counter()
    shown = _report(container, room) or {}
    results["attendance_report_query_ms"] = (time.perf_counter() - t2) * 1000
    results["report_rows"] = len(shown.get("rows", []))
    results["report_total_attended"] = shown.get("total_attended", 0)

    second = app.schedule_live_session(classroom_id, actor_id=teacher, title="Direct", scheduled_at=LESSON_AT).id
    events = [
        PresenceEvent("participant_joined", LESSON_AT + timedelta(seconds=i % 600), s) for i, s in enumerate(members)
    ]
    events += [PresenceEvent("participant_left", LESSON_AT + timedelta(minutes=30), s) for s in members]
    t3 = time.perf_counter()
    for i in range(0, len(events), MAX_RECORDS):
        app.apply_presence(second, events[i : i + MAX_RECORDS])
    results["apply_presence_direct_per_s"] = len(events) / (time.perf_counter() - t3)
    return results


def main(argv: list[str] | None = None) -> None:
    import logging

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", type=Path, help="Write the results as one JSON object to PATH.")
    parser.add_argument("--students", type=int, default=5000)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("kafka").setLevel(logging.ERROR)
    results = measure(get_settings(), students=args.students)
    for key, value in results.items():
        print(f"{key:32} {value:12.1f}")
    target = results["presence_webhooks_per_s"] >= 1000
    print(f"presence_webhooks_per_s target (>= 1,000/s): {'met' if target else 'NOT met'}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, sort_keys=True))


if __name__ == "__main__":
    main()
