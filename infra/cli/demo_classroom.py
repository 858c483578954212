"""The classroom demo: a lesson from scheduling to its attendance report, over HTTP and Kafka.

``run(base_url, token, endpoints, topic_prefix)`` drives a running service; ``sessionstream demo`` calls
it after the event-sessions scenario (``sessionstream demo --only classroom`` runs it alone).

The scenario: a classroom of four students; a lesson tomorrow at 18:00 UTC with reminders 60 and 30
minutes before; the due list at 17:00 and ``sessionstream notifications dispatch --at 17:00`` sending
the 60-minute reminder (it appears on ``notifications.outgoing.v1``); the teacher excuses Dan; the video
platform's webhooks on ``inbound.presence.v1``: Ada's join starts the lesson, Ben joins, leaves and
rejoins, Ada leaves, Cleo never comes; the room finishes; the attendance report shows Ada and Ben
attended with their minutes, Cleo absent and Dan excused.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from datetime import date, datetime, timedelta, timezone
from datetime import time as clock_time
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

from infra import kafka
from infra.container import Endpoints
from infra.settings import get_settings
from producers import topics
from producers.classroom import topics as classroom_topics

console = Console()
NAMES = ("Ada", "Ben", "Cleo", "Dan")


def _iso(instant: datetime) -> str:
    return instant.strftime("%Y-%m-%dT%H:%M:%SZ")


def _ok(response: httpx.Response) -> dict[str, Any]:
    if response.status_code >= 400:
        raise RuntimeError(
            f"{response.request.method} {response.request.url.path} -> {response.status_code}: {response.text}"
        )
    return response.json() if response.content else {}


def run(base_url: str, token: str, endpoints: Endpoints, topic_prefix: str = "") -> dict[str, Any]:
    """Runs the scenario against the service at ``base_url`` (whose PostgreSQL and Kafka are ``endpoints``
    under ``topic_prefix``); prints it and returns the final attendance report."""
    with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=30) as http:
        return _scenario(http, endpoints, topic_prefix)


def _scenario(http: httpx.Client, endpoints: Endpoints, prefix: str) -> dict[str, Any]:
    console.rule("classroom live sessions")
    teacher = str(uuid.uuid4())
    classroom = _ok(http.post("/classrooms", json={"name": "German B1", "teacher_id": teacher}))["id"]
    students = {name: str(uuid.uuid4()) for name in NAMES}
    for student in students.values():
        _ok(http.post(f"/classrooms/{classroom}/members", json={"student_id": student}))
    names = {v: k for k, v in students.items()}
    start = datetime.combine(date.today() + timedelta(days=1), clock_time(18), tzinfo=timezone.utc)
    lesson = _ok(http.post(f"/classrooms/{classroom}/live-sessions", json={
        "actor_id": teacher, "title": "Modal verbs", "scheduled_at": _iso(start), "duration_minutes": 60,
        "meeting_url": "https://meet.example/german-b1", "meeting_password": "s3cret", "reminders": [60, 30],
    }))  # fmt: skip
    room = lesson["id"]
    console.print(
        f"classroom of {', '.join(NAMES)}; lesson {room[:8]} at {_iso(start)} with reminders 60 and 30 min before"
    )

    tick = start - timedelta(minutes=60)
    _wait_for(lambda: _ok(http.get(f"/live-sessions/{room}", params={"min_version": lesson["version"]})))
    _wait_for(lambda: _ok(http.get(f"/classrooms/{classroom}", params={"min_version": 1 + len(NAMES)})))
    _print_due(http, room, names, tick)
    console.print(f"$ sessionstream notifications dispatch --at {_iso(tick)}")
    env = get_settings().child_env(
        DATABASE_URL=endpoints.database_url, KAFKA_BOOTSTRAP_SERVERS=endpoints.kafka_bootstrap,
        SESSIONSTREAM_TOPIC_PREFIX=prefix, SESSIONSTREAM_LOG_LEVEL="WARNING",
    )  # fmt: skip
    dispatch = [sys.executable, "-m", "infra.cli.main", "notifications", "dispatch", "--at", _iso(tick)]
    dispatched = subprocess.run(dispatch, env=env, capture_output=True, text=True, check=False)
    if dispatched.returncode != 0:
        raise RuntimeError(f"the dispatch failed ({dispatched.returncode}): {dispatched.stderr.strip()}")
    console.print((dispatched.stdout.strip().splitlines() or [""])[-1])
    _print_reminders(http, room, teacher)
    _print_outgoing(endpoints.kafka_bootstrap, prefix, room, names)

    _ok(
        http.post(
            f"/live-sessions/{room}/attendance/{students['Dan']}", json={"actor_id": teacher, "status": "excused"}
        )
    )
    console.print("the teacher excuses Dan")
    at = {n: start + timedelta(minutes=n) for n in range(61)}
    webhooks = [
        ("participant_joined", at[0], "Ada"), ("participant_joined", at[2], "Ben"), ("participant_left", at[20], "Ben"),
        ("participant_joined", at[25], "Ben"), ("participant_left", at[50], "Ada"), ("room_finished", at[55], None),
    ]  # fmt: skip
    sent = _publish(
        endpoints.kafka_bootstrap, prefix, room, [(e, when, students.get(who or "")) for e, when, who in webhooks]
    )
    console.print(f"{len(sent)} webhooks published on {classroom_topics.INBOUND_PRESENCE}: Ada's join starts the"
                  " lesson; Ben leaves and rejoins; the room finishes at 18:55")  # fmt: skip
    outcomes = _outcomes(endpoints.kafka_bootstrap, prefix, sent)
    table = Table(title=f"outcomes on {topics.outcomes_topic(classroom_topics.INBOUND_PRESENCE)}")
    for column in ("event", "participant", "at", "status", "version"):
        table.add_column(column)
    for (event, when, who), outcome in zip(webhooks, outcomes, strict=True):
        table.add_row(event, who or "", when.strftime("%H:%M"), outcome["status"], str(outcome["version"]))
    console.print(table)

    version = max(o["version"] or 0 for o in outcomes)
    report = _ok(http.get(f"/live-sessions/{room}/attendance", params={"actor_id": teacher, "min_version": version}))
    _print_report(report, names)
    return report


def _wait_for(call: Any, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        try:
            return call()
        except RuntimeError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def _publish(
    bootstrap: str, prefix: str, room: str, items: list[tuple[str, datetime, str | None]]
) -> list[dict[str, Any]]:
    producer = kafka.producer(bootstrap)
    sent = []
    for event, when, participant in items:
        body: dict[str, Any] = {"message_id": str(uuid.uuid4()), "event": event, "room": room, "at": _iso(when)}
        if participant:
            body["participant"] = participant
        producer.send(topics.physical(classroom_topics.INBOUND_PRESENCE, prefix), key=room.encode(),
                      value=json.dumps(body).encode())  # fmt: skip
        sent.append(body)
    producer.flush()
    producer.close()
    return sent


def _outcomes(bootstrap: str, prefix: str, sent: list[dict[str, Any]], timeout: float = 60.0) -> list[dict[str, Any]]:
    """The outcome of each sent webhook, in the order sent."""
    name = topics.physical(topics.outcomes_topic(classroom_topics.INBOUND_PRESENCE), prefix)
    wanted = [w["message_id"] for w in sent]
    deadline = time.monotonic() + timeout
    while True:
        found = {o["message_id"]: o for o in (json.loads(r.value) for r in kafka.read_topic(bootstrap, name))}
        if all(m in found for m in wanted) or time.monotonic() > deadline:
            return [found.get(m, {"status": "missing", "version": None}) for m in wanted]
        time.sleep(0.3)


def _print_due(http: httpx.Client, room: str, names: dict[str, str], tick: datetime) -> None:
    table = Table(title=f"GET /notifications/due?at={_iso(tick)} (this lesson)")
    for column in ("kind", "id", "due at", "recipients"):
        table.add_column(column)
    for item in _ok(http.get("/notifications/due", params={"at": _iso(tick)})):
        if item.get("session_id") == room:
            table.add_row(item["kind"], item["id"][:8] + "…" + item["id"][-3:], item["due_at"],
                          ", ".join(names.get(r["student_id"], "?") for r in item["recipients"]))  # fmt: skip
    console.print(table)


def _print_reminders(http: httpx.Client, room: str, teacher: str) -> None:
    view = _ok(http.get(f"/live-sessions/{room}", params={"actor_id": teacher}))
    deadline = time.monotonic() + 30
    while not any(r["sent_at"] for r in view["reminders"]) and time.monotonic() < deadline:
        time.sleep(0.2)
        view = _ok(http.get(f"/live-sessions/{room}", params={"actor_id": teacher}))
    table = Table(title=f"GET /live-sessions/{room[:8]}…?actor_id=<teacher>: reminders")
    for column in ("minutes", "due at", "sent at"):
        table.add_column(column)
    for r in view["reminders"]:
        table.add_row(str(r["minutes"]), r["due_at"], r["sent_at"] or "")
    console.print(table)
    console.print(f"status {view['status']}, meeting password shown to the teacher: {view['meeting_password']!r}")


def _print_outgoing(bootstrap: str, prefix: str, room: str, names: dict[str, str]) -> None:
    name = topics.physical(topics.NOTIFICATIONS_OUTGOING, prefix)
    deadline = time.monotonic() + 30
    mine: list[dict[str, Any]] = []
    while not mine and time.monotonic() < deadline:
        found = (json.loads(r.value) for r in kafka.read_topic(bootstrap, name))
        mine = [n for n in found if n.get("context") == "classroom" and n.get("session_id") == room]
        time.sleep(0 if mine else 0.3)
    table = Table(title=f"sent: {topics.NOTIFICATIONS_OUTGOING}")
    for column in ("title", "body", "to", "sent at"):
        table.add_column(column)
    for n in mine:
        table.add_row(n["title"], n["body"], ", ".join(names.get(r["student_id"], "?") for r in n["recipients"]),
                      n["sent_at"])  # fmt: skip
    console.print(table)


def _print_report(report: dict[str, Any], names: dict[str, str]) -> None:
    table = Table(title=f"attendance report: {report['session_title']} ({report['status']})")
    for column in ("student", "status", "joined", "left", "minutes"):
        table.add_column(column)
    for row in report["attendance"]:
        table.add_row(names.get(row["student_id"], row["student_id"][:8]), row["status"] or "",
                      (row["joined_at"] or "")[11:16], (row["left_at"] or "")[11:16],
                      str(row["duration_minutes"]))  # fmt: skip
    console.print(table)
    console.print(f"total enrolled {report['total_enrolled']}, total attended {report['total_attended']}; "
                  f"totals {report['totals']}")  # fmt: skip
