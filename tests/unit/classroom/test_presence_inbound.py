"""The presence webhook handler's pieces without a network: the schema, the outcome, and the batch
(one ``apply_presence`` per room, in arrival order; duplicates, reused ids and malformed records)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any
from uuid import UUID, uuid4

import pytest
from pydantic import ValidationError

from consumers.classroom.presence import InboundPresence, body_fingerprint, outcome_of, parse, to_presence_event
from domain.classroom.presence import PresenceResult

AT = "2031-03-01T18:00:00Z"


def _body(**fields: Any) -> dict[str, Any]:
    return {"message_id": str(uuid4()), "event": "participant_joined", "room": str(uuid4()),
            "participant": str(uuid4()), "at": AT, **fields}  # fmt: skip


@dataclass
class FakeRecord:
    value: bytes | None
    key: bytes | None = b"room"
    topic: str = "inbound.presence.v1"
    partition: int = 0
    offset: int = 0
    headers: list = field(default_factory=list)


class FakeCursor:
    """Answers the de-duplication query with ``known`` (message id -> fingerprint) and records inserts."""

    def __init__(self, known: dict[UUID, str] | None = None) -> None:
        self.known = known or {}
        self.inserted: list[tuple] = []
        self._rows: list = []

    def execute(self, statement: str, params: Any = None) -> None:
        ids = params[0]
        self._rows = [(i, self.known[i]) for i in ids if i in self.known]

    def fetchall(self) -> list:
        return self._rows

    def executemany(self, statement: str, rows: list) -> None:
        self.inserted += rows


class FakeApp:
    def __init__(self) -> None:
        self.calls: list[tuple[UUID, list]] = []

    def apply_presence(self, room: UUID, events: list) -> list[PresenceResult]:
        self.calls.append((room, events))
        return [PresenceResult(True, 10 + i) for i, _ in enumerate(events)]


class FakeProducer:
    def __init__(self) -> None:
        self.sent: list[dict] = []

    def send(self, topic: str, *, key: bytes, value: bytes, headers: list) -> Any:
        self.sent.append(json.loads(value))
        return self

    def get(self, timeout: float | None = None) -> None:
        return None

    def flush(self) -> None:
        return None


def test_a_webhook_parses_with_its_instant_in_utc():
    body = _body(at="2031-03-01 19:00:00+01:00")
    webhook = parse(json.dumps(body).encode())
    assert webhook.at == datetime(2031, 3, 1, 18, tzinfo=timezone.utc)
    event = to_presence_event(webhook)
    assert (event.kind, event.at, event.participant_id) == ("participant_joined", webhook.at, UUID(body["participant"]))
    assert parse(json.dumps(_body(event="room_finished", participant=None)).encode()).participant is None


@pytest.mark.parametrize("value", [
    b"not json", b"{}", json.dumps(_body(event="participant_waved")).encode(),
    json.dumps(_body(participant=None)).encode(), json.dumps(_body(room="room-7")).encode(),
    json.dumps({k: v for k, v in _body().items() if k != "at"}).encode(), None,
])  # fmt: skip
def test_a_malformed_webhook_fails_its_schema(value):
    with pytest.raises(ValidationError):
        parse(value)


def test_the_fingerprint_is_of_the_values_not_the_bytes():
    body = _body()
    spaced = json.dumps(body, indent=2).encode()
    assert body_fingerprint(parse(spaced)) == body_fingerprint(parse(json.dumps(body).encode()))
    assert body_fingerprint(parse(json.dumps(dict(body, at="2031-03-01T18:00:01Z")).encode())) != body_fingerprint(
        parse(spaced)
    )


def test_a_rejected_item_is_a_rejected_outcome_with_the_rules_code():
    webhook = parse(json.dumps(_body()).encode())
    outcome = outcome_of(
        webhook, PresenceResult(False, 7, code="attendance.session_not_live", detail="The session is not live.")
    )
    assert (outcome.status, outcome.code, outcome.detail, outcome.aggregate_id, outcome.version) == (
        "rejected",
        "attendance.session_not_live",
        "The session is not live.",
        webhook.room,
        7,
    )


def test_a_batch_is_one_apply_per_room_in_arrival_order_with_one_outcome_per_message():
    app, producer = FakeApp(), FakeProducer()
    handler = InboundPresence(app, producer)  # type: ignore[arg-type]
    first, second = uuid4(), uuid4()
    bodies = [_body(room=str(first)), _body(room=str(second)), _body(room=str(first), event="participant_left"),
              _body(room=str(first), event="room_finished", participant=None)]  # fmt: skip
    records = [FakeRecord(json.dumps(b).encode()) for b in bodies]
    dead = handler.handle(FakeCursor(), [records[0], FakeRecord(b"{bad"), *records[1:]])  # type: ignore[arg-type]
    assert [d.value for d in dead] == [b"{bad"]
    assert [(room, [e.kind for e in events]) for room, events in app.calls] == [
        (first, ["participant_joined", "participant_left", "room_finished"]),
        (second, ["participant_joined"]),
    ]
    assert [o["message_id"] for o in producer.sent] == [b["message_id"] for b in bodies]
    assert all(o["status"] == "accepted" for o in producer.sent)


def test_a_repeat_is_skipped_and_a_reused_id_is_rejected_in_and_across_batches():
    app, producer = FakeApp(), FakeProducer()
    handler = InboundPresence(app, producer)  # type: ignore[arg-type]
    seen = _body()
    known = {UUID(seen["message_id"]): body_fingerprint(parse(json.dumps(seen).encode()))}
    reused_seen = dict(seen, at="2031-03-01T18:05:00Z")
    fresh = _body()
    records = [
        FakeRecord(json.dumps(b).encode())
        for b in (seen, reused_seen, fresh, fresh, dict(fresh, at="2031-03-01T18:09:00Z"))
    ]
    cursor = FakeCursor(known)
    handler.handle(cursor, records)  # type: ignore[arg-type]
    assert [len(events) for _, events in app.calls] == [1]  # only the fresh one, once
    assert [(o["message_id"], o["status"], o["code"]) for o in producer.sent] == [
        (seen["message_id"], "rejected", "inbound.message_id_reused"),
        (fresh["message_id"], "accepted", None),
        (fresh["message_id"], "rejected", "inbound.message_id_reused"),
    ]
    assert [row[0] for row in cursor.inserted] == [UUID(fresh["message_id"])]
