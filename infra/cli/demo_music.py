"""The music demo: a weekly session in Chicago across the 2025 fall-back switch, over HTTP and Kafka.

1. A Sunday session, 19:00-22:00 Chicago time, auto-creating a week (168 h) ahead.  Its occurrences
   keep 19:00 local while their UTC instant moves by an hour on 2025-11-02.
2. Two ticks at frozen instants (``sessionstream music tick --at``): the first creates Oct 26's instance,
   the second (2025-10-27T01:00Z, exactly 168 absolute hours before Nov 2 19:00 CST, only 167 on the
   wall clock) creates Nov 2's: the horizon is inclusive and absolute.
   That tick also finds Oct 26's instance in progress and activates it.
3. A tick at 2025-11-03T00:00Z (18:00 CST; at +60 s the 60-minute buffer has opened) turns Nov 2 active
   and Oct 26 inactive.
4. Nov 2's tune log: two sets over HTTP; a phone that went offline queued a tune after one it had seen
   and a third set, while someone added a tune over HTTP; the queue is published on
   ``inbound.tunelog.v1`` and lands where the musician meant.  Then one move.
5. Oct 26's log by bulk replace, and the popular-tunes dashboard of the season.

``run`` is what ``sessionstream demo`` (or a test) calls with a client, the broker and a ``tick``
(``sessionstream demo --only music`` runs it alone).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

from infra import kafka
from producers import topics
from producers.music.topics import INBOUND_TUNELOG

console = Console()
SUNDAY_EVENING = {"type": "weekly", "daysOfWeek": [7], "startTime": "19:00", "endTime": "22:00"}
Tick = Callable[[datetime], dict[str, Any]]


def _ok(response: httpx.Response) -> Any:
    if response.status_code >= 400:
        raise RuntimeError(f"{response.request.method} {response.request.url.path} -> {response.status_code}: "
                           f"{response.text}")  # fmt: skip
    return response.json() if response.content else {}


def _wait(check: Callable[[], Any], timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := check()):
        if time.monotonic() > deadline:
            raise RuntimeError("the read side did not catch up in time")
        time.sleep(0.2)
    return value


def _table(title: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
    table = Table(title=title)
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*("" if v is None else str(v) for v in row))
    console.print(table)


def _tick(tick: Tick, at: str) -> dict[str, Any]:
    console.print(f"$ sessionstream music tick --at {at}")
    report = tick(datetime.fromisoformat(at.replace("Z", "+00:00")))
    created = [f"{row['session_name']}: {', '.join(row['dates'])}" for row in report["auto_created"]]
    window = report["active_window"]
    console.print(f"  auto-created: {'; '.join(created) or 'nothing'}; activated {len(window['activated'])},"
                  f" deactivated {len(window['deactivated'])}; errors {len(report['errors'])}")  # fmt: skip
    return report


def run(http: httpx.Client, *, bootstrap: str, topic_prefix: str, tick: Tick) -> dict[str, Any]:
    """Drives the scenario and prints it; returns what a test checks."""
    console.rule("music sessions demo")
    path = f"cobblestone-{uuid.uuid4().hex[:6]}"
    session = _ok(http.post("/music/sessions", json={
        "name": "The Cobblestone", "path": path, "timezone": "America/Chicago", "recurrence": SUNDAY_EVENING,
        "initiation_date": "2025-10-01", "termination_date": "2025-12-31", "location_name": "The Cobblestone",
        "city": "Chicago", "auto_create_instances": True, "auto_create_hours_ahead": 168,
    }))  # fmt: skip
    sid = session["id"]
    console.print(f"session /{path} created: Sundays 19:00-22:00 America/Chicago, auto-create 168 h ahead")
    occurrences = _ok(http.get(f"/music/sessions/{sid}/occurrences", params={"from": "2025-10-19", "to": "2025-11-09"}))
    _table("occurrences across the fall-back switch (2025-11-02 02:00 CDT -> 01:00 CST)",
           ("date", "local", "start (UTC)", "end (UTC)"),
           [(o["date"], f"{o['start_time']}-{o['end_time']}", o["start"], o["end"]) for o in occurrences])  # fmt: skip

    _tick(tick, "2025-10-20T01:00:00Z")  # creates Oct 26 (167 h ahead)
    _tick(tick, "2025-10-27T01:00:00Z")  # creates Nov 2 (exactly 168 h ahead); Oct 26 is in progress: active
    report = _tick(tick, "2025-11-03T00:00:00Z")  # 18:00 CST: at +60 s Nov 2's window opens; Oct 26's is long shut
    instances = _wait(lambda: (r := http.get(f"/music/sessions/{sid}/instances").json())
                      and [i["is_active"] for i in r] == [False, True] and r)  # fmt: skip
    _table("instances (read model music_instances)", ("date", "local", "start (UTC)", "auto-created", "is_active"),
           [(i["date"], f"{i['start_time']}-{i['end_time']}", i["start"], i["auto_created"], i["is_active"])
            for i in instances])  # fmt: skip
    active = _ok(http.get(f"/music/sessions/{sid}/active"))
    console.print(f"GET /music/sessions/{{id}}/active: {[a['date'] for a in active]}")
    oct_26, nov_2_id = instances[0]["id"], instances[1]["id"]

    tunes_url = f"/music/instances/{nov_2_id}/tunes"
    _ok(http.post(tunes_url, json={"name": "The Kesh"}))
    ocean = _ok(http.post(tunes_url, json={"name": "Out on the Ocean", "continues_set": True}))["entry_id"]
    banish = _ok(http.post(tunes_url, json={"name": "Banish Misfortune"}))["entry_id"]
    console.print("over HTTP: [The Kesh, Out on the Ocean] [Banish Misfortune]; a phone saw that and went offline")
    _ok(http.post(tunes_url, json={"position": {"after": banish}, "name": "Tobin's", "continues_set": True}))
    console.print("over HTTP, meanwhile: Tobin's after Banish Misfortune")
    spear, cooleys, maid = (str(uuid.uuid4()) for _ in range(3))
    queue = [
        {"action": "add", "entry_id": spear, "position": {"after": ocean}, "name": "The Silver Spear",
         "continues_set": True},
        {"action": "add", "entry_id": cooleys, "name": "Cooley's"},
        {"action": "add", "entry_id": maid, "position": {"after": cooleys}, "name": "The Maid Behind the Bar",
         "continues_set": True},
        {"action": "add", "position": {"after": maid}, "name": "Drowsy Maggie", "continues_set": True},
    ]  # fmt: skip
    messages = [{"message_id": str(uuid.uuid4()), "instance_id": nov_2_id, **item} for item in queue]
    producer = kafka.producer(bootstrap)
    for message in messages:
        producer.send(topics.physical(INBOUND_TUNELOG, topic_prefix), key=nov_2_id.encode(),
                      value=json.dumps(message).encode())  # fmt: skip
    producer.flush()
    producer.close()
    console.print(f"the phone is back: {len(messages)} queued commands published on inbound.tunelog.v1")
    _wait(lambda: len(http.get(tunes_url).json()) == 8)
    moved = _ok(http.post(f"{tunes_url}/{spear}/move", json={"direction": "left"}))
    console.print("one move over HTTP: The Silver Spear left, before Out on the Ocean")
    log = _ok(http.get(tunes_url, params={"min_version": moved["version"]}))
    phone = {spear, cooleys, maid}
    _table("tune log of 2025-11-02", ("set", "order", "continues_set", "tune", "from"),
           [(e["set_index"] + 1, e["order_number"], e["continues_set"], e["name"],
             "phone" if e["id"] in phone or e["name"] == "Drowsy Maggie" else "HTTP") for e in log])  # fmt: skip

    replaced = _ok(http.put(f"/music/instances/{oct_26}/tunes", json={"sets": [
        [{"name": "The Kesh"}, {"name": "Out on the Ocean"}],
        [{"name": "Cooley's"}, {"name": "The Maid Behind the Bar"}],
    ]}))  # fmt: skip
    console.print(f"2025-10-26's log by bulk replace: {replaced['message']}")
    popular_url = f"/music/sessions/{sid}/tunes/popular"
    popular = _wait(lambda: (r := http.get(popular_url).json()) and sum(t["plays"] for t in r) == 12 and r)
    _table("popular tunes at The Cobblestone (read model music_popular_tunes)", ("tune", "plays", "last played"),
           [(t["name"], t["plays"], t["last_played"]) for t in popular])  # fmt: skip
    return {"session_id": sid, "instances": instances, "tunes": log, "popular": popular, "tick": report}
