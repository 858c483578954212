"""``sessionstream demo``: a scripted scenario of every context through the running service, over HTTP
and Kafka: event sessions (this module), then EV charging, a classroom lesson and a music session
(``demo_charging``, ``demo_classroom``, ``demo_music``).

Without ``--url`` it starts ``sessionstream run`` itself (on a free port, local services), drives the
scenarios, prints the read models as tables, and stops the service with SIGTERM.
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
import uuid
from datetime import date, datetime, timedelta
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console
from rich.table import Table

from infra import kafka
from infra.cli import demo_classroom, demo_music
from infra.cli.demo_charging import DEMO_OCPI_TOKEN, DEMO_PARTY, charging_demo
from infra.cli.music_tick import tick_at
from infra.container import resolve_endpoints
from infra.settings import get_settings
from producers import topics
from producers.eventsessions import topics as es_topics

console = Console()
DEMO_TOKEN = "demo-write-token"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start_service() -> tuple[subprocess.Popen[bytes], str]:
    settings = get_settings()
    endpoints = resolve_endpoints(settings)
    port = _free_port()
    env = settings.child_env(
        DATABASE_URL=endpoints.database_url,
        KAFKA_BOOTSTRAP_SERVERS=endpoints.kafka_bootstrap,
        SESSIONSTREAM_HTTP_PORT=str(port),
        SESSIONSTREAM_API_TOKENS=f"{DEMO_TOKEN}:write",
        SESSIONSTREAM_OCPI_TOKENS=f"{DEMO_OCPI_TOKEN}:{DEMO_PARTY[0]}:{DEMO_PARTY[1]}",
        SESSIONSTREAM_LOG_LEVEL="WARNING",
    )
    process = subprocess.Popen([sys.executable, "-m", "infra.cli.main", "run"], env=env)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            console.print(f"[red]the service exited with {process.returncode}[/red]")
            raise typer.Exit(1)
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                return process, url
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    process.terminate()
    console.print("[red]the service did not become ready within 90 s[/red]")
    raise typer.Exit(1)


CONTEXTS = ("eventsessions", "charging", "classroom", "music")


def demo(
    url: Annotated[str | None, typer.Option(help="A running service; default: start one.")] = None,
    token: Annotated[str, typer.Option(help="A write token of that service.")] = DEMO_TOKEN,
    only: Annotated[list[str] | None, typer.Option(help=f"Only these contexts ({', '.join(CONTEXTS)}).")] = None,
) -> None:
    """Every context's scenario: event sessions (wizard, seats, mails), an OCPI charging session, a classroom
    lesson with reminders and presence webhooks, a music session's clock and tune log; prints it all."""
    chosen = only or list(CONTEXTS)
    unknown = sorted(set(chosen) - set(CONTEXTS))
    if unknown:
        raise typer.BadParameter(f"unknown context(s) {', '.join(unknown)}; choose from {', '.join(CONTEXTS)}")
    process = None
    settings = get_settings()
    endpoints = resolve_endpoints(settings)
    prefix = settings.topic_prefix
    if url is None:
        process, url = _start_service()
    try:
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=30) as http:
            if "eventsessions" in chosen:
                _scenario(http, endpoints.kafka_bootstrap, prefix)
            if "charging" in chosen:
                charging_demo(url, bootstrap=endpoints.kafka_bootstrap, topic_prefix=prefix, write_token=token)
            if "classroom" in chosen:
                demo_classroom.run(url, token, endpoints, prefix)
            if "music" in chosen:
                demo_music.run(http, bootstrap=endpoints.kafka_bootstrap, topic_prefix=prefix,
                               tick=lambda at: tick_at(at, quiet=True))  # fmt: skip
    finally:
        if process is not None:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=60)


def _ok(response: httpx.Response) -> dict[str, Any]:
    if response.status_code >= 400:
        console.print(f"[red]{response.request.method} {response.request.url.path} -> {response.status_code}[/red] "
                      f"{response.json().get('detail')}")  # fmt: skip
        return {}
    return response.json() if response.content else {}


def _scenario(http: httpx.Client, bootstrap: str, prefix: str) -> None:
    console.rule("sessionstream demo")
    event = _ok(http.post("/events", json={
        "name": "PyCon Workshop", "date_tz": "Europe/Brussels", "use_sessions": True, "seats_limited": True,
        "seats_max": 3, "auto_confirm": True,
        "mail_schedulers": [
            {"interval_type": "after_sub", "interval_unit": "now", "interval_nbr": 0, "template": "Registration"},
            {"interval_type": "before_event", "interval_unit": "days", "interval_nbr": 1, "template": "Reminder"},
        ],
    }))  # fmt: skip
    console.print(f"event {event['id']} created, with two mail schedulers (welcome now, reminder a day before)")
    start = date.today() + timedelta(days=1)
    generated = _ok(http.post(f"/events/{event['id']}/sessions/generate", json={
        "rrule_type": "weekly", "weekdays": ["tue", "thu"], "start": start.isoformat(),
        "until": (start + timedelta(days=13)).isoformat(), "timeslots": ["18:00"], "duration": 2,
    }))["sessions"]  # fmt: skip
    console.print(f"the wizard generated {len(generated)} sessions: Tuesdays and Thursdays, 18:00 Brussels time")
    first = generated[0]["id"]
    registrations = []
    for name in ("Ada", "Brian", "Chen", "Dana"):
        answer = http.post("/registrations", json={"event_id": event["id"], "session_id": first, "name": name,
                                                   "email": f"{name.lower()}@example.org"})  # fmt: skip
        if answer.status_code == 201:
            registrations.append(answer.json())
            console.print(f"registered {name} over HTTP")
        else:
            console.print(f"[yellow]{name} refused ({answer.status_code}):[/yellow] {answer.json()['detail']!r}")
    _ok(http.post(f"/registrations/{registrations[0]['id']}/cancel"))
    console.print("Ada cancelled: one seat is free again")

    producer = kafka.producer(bootstrap)
    requests = [
        {"message_id": str(uuid.uuid4()), "action": "register", "event_id": event["id"], "session_id": first,
         "name": "Dana", "email": "dana@example.org"},
        {"message_id": str(uuid.uuid4()), "action": "register", "event_id": event["id"],
         "session_id": generated[1]["id"], "name": "Eve", "email": "eve@example.org", "state": "draft"},
        {"message_id": "not-a-uuid", "action": "register"},
    ]  # fmt: skip
    for request in requests:
        producer.send(topics.physical(es_topics.INBOUND_REGISTRATIONS, prefix), key=event["id"].encode(),
                      value=json.dumps(request).encode())  # fmt: skip
    producer.flush()
    producer.close()
    console.print("3 requests published on inbound.registrations.v1 (one malformed: it goes to the DLT)")

    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        listed = http.get("/registrations", params={"event_id": event["id"]}).json()
        items = listed["items"] if isinstance(listed, dict) else listed
        if len(items) >= 5:
            break
        time.sleep(0.2)
    time.sleep(1.5)  # the service's dispatcher sends the welcome mails meanwhile
    _print_sessions(http, event["id"])
    _print_event(http, event["id"])
    _print_registrations(http, event["id"])
    _print_mail_schedulers(http, first)

    reminder_time = datetime.fromisoformat(generated[0]["date_begin"].replace("Z", "+00:00")) - timedelta(hours=12)
    at = reminder_time.strftime("%Y-%m-%dT%H:%M:%SZ")
    _print_due(http, event["id"], at, f"due notifications at {at} (12 hours before the first session)")
    console.print(f"$ sessionstream notifications dispatch --at {at}")
    dispatched = subprocess.run([sys.executable, "-m", "infra.cli.main", "notifications", "dispatch", "--at", at],
                                env=get_settings().child_env(SESSIONSTREAM_LOG_LEVEL="WARNING"), capture_output=True,
                                text=True, check=False)  # fmt: skip
    console.print((dispatched.stdout.strip().splitlines() or [""])[-1])
    if dispatched.returncode != 0:
        console.print(f"[red]the dispatch failed ({dispatched.returncode}):[/red] {dispatched.stderr.strip()}")
    time.sleep(1.0)
    _print_due(http, event["id"], at, f"due notifications at {at}, after the dispatch")
    _print_outgoing(bootstrap, prefix, event["id"])


def _print_sessions(http: httpx.Client, event_id: str) -> None:
    table = Table(title="seat availability per session")
    for column in ("session", "begins (event tz)", "max", "reserved", "used", "unconfirmed", "available",
                   "open", "sold out"):  # fmt: skip
        table.add_column(column)
    for s in http.get(f"/events/{event_id}/sessions").json():
        table.add_row(s["id"][:8], s["date_begin_located"], str(s["seats_max"]), str(s["seats_reserved"]),
                      str(s["seats_used"]), str(s["seats_unconfirmed"]), str(s["seats_available"]),
                      str(s["event_registrations_open"]), str(s["event_registrations_sold_out"]))  # fmt: skip
    console.print(table)


def _print_event(http: httpx.Client, event_id: str) -> None:
    e = http.get(f"/events/{event_id}").json()
    table = Table(title="parent event dates and totals")
    for column in ("event", "date_begin", "date_end", "sessions", "reserved", "unconfirmed", "expected"):
        table.add_column(column)
    table.add_row(e["name"], e["date_begin"], e["date_end"], str(e["session_count"]), str(e["seats_reserved"]),
                  str(e["seats_unconfirmed"]), str(e["seats_expected"]))  # fmt: skip
    console.print(table)


def _print_registrations(http: httpx.Client, event_id: str) -> None:
    listed = http.get("/registrations", params={"event_id": event_id}).json()
    items = listed["items"] if isinstance(listed, dict) else listed
    table = Table(title="registrations")
    for column in ("name", "session", "state"):
        table.add_column(column)
    for r in items:
        table.add_row(r["name"], (r["session_id"] or "")[:8], r["state"])
    console.print(table)


def _print_mail_schedulers(http: httpx.Client, session_id: str) -> None:
    table = Table(title="mail schedulers of the first session")
    for column in ("template", "type", "scheduled", "sent", "# sent", "state"):
        table.add_column(column)
    for m in http.get(f"/sessions/{session_id}/mail-schedulers").json():
        table.add_row(m["template"], m["interval_type"], m["scheduled_date"] or "", str(m["mail_done"]),
                      str(m["mail_count_done"]), m["mail_state"])  # fmt: skip
    console.print(table)


def _print_due(http: httpx.Client, event_id: str, at: str, title: str) -> None:
    table = Table(title=title)
    for column in ("kind", "template", "due at", "recipients"):
        table.add_column(column)
    for d in http.get("/notifications/due", params={"at": at}).json():
        if d.get("event_id") == event_id:
            table.add_row(d["kind"], d["template"], d["due_at"], ", ".join(r["email"] for r in d["recipients"]))
    console.print(table)


def _print_outgoing(bootstrap: str, prefix: str, event_id: str) -> None:
    """What a mailer would receive: the event's messages on notifications.outgoing.v1."""
    table = Table(title="sent: notifications.outgoing.v1")
    for column in ("kind", "template", "to", "date range", "sent at"):
        table.add_column(column)
    for record in kafka.read_topic(bootstrap, topics.physical(topics.NOTIFICATIONS_OUTGOING, prefix)):
        n = json.loads(record.value)
        if n.get("event_id") == event_id:
            table.add_row(n["kind"], n["template"], ", ".join(r["email"] for r in n["recipients"]),
                          n["data"].get("date_range", ""), n["sent_at"])  # fmt: skip
    console.print(table)
