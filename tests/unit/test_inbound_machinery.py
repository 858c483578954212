"""``consumers.inbound`` without Kafka or PostgreSQL: an in-memory ``inbound_messages`` table and a
list-like producer stand in for them (the integration tests run the same handler for real)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid4

import pytest

from consumers.inbound import InboundHandler, InboundRetryError, InboundRoute
from domain.shared.application import Outcome as CommandOutcome
from domain.shared.errors import ConcurrencyError, RuleViolationError
from producers.fields import Name
from producers.inbound import MESSAGE_ID_REUSED, InboundRequest


class Greeting(InboundRequest):
    name: Name


@dataclass
class Record:
    value: bytes | None
    key: bytes = b"key"
    topic: str = "inbound.greetings.v1"
    partition: int = 0
    offset: int = 0
    headers: tuple = ()


class Table:
    """``inbound_messages`` as the handler uses it: one SELECT and one INSERT."""

    def __init__(self) -> None:
        self.rows: dict[UUID, tuple[str, str]] = {}
        self._found: Any = None

    def execute(self, query: str, params: tuple) -> None:
        if query.startswith("SELECT"):
            row = self.rows.get(params[0])
            self._found = None if row is None else (row[1],)
        else:
            message_id, _topic, _outcome, digest = params
            self.rows[message_id] = (_topic, digest)

    def fetchone(self) -> Any:
        return self._found


class Delivered:
    def get(self, timeout: float | None = None) -> None:
        return None


class Sent(list):
    def send(self, topic: str, *, key: bytes | None, value: bytes, headers: list) -> Delivered:
        self.append((topic, key, json.loads(value), dict(headers)))
        return Delivered()

    def flush(self, timeout: float | None = None) -> None:
        pass


class Commands:
    """Greets; refuses "Nobody"; conflicts the first ``conflicts`` times; breaks on "Bug"."""

    def __init__(self, conflicts: int = 0) -> None:
        self.conflicts = conflicts
        self.ran: list[str] = []

    def __call__(self, request: Greeting) -> CommandOutcome:
        if self.conflicts:
            self.conflicts -= 1
            raise ConcurrencyError("The command kept conflicting with concurrent writers; try again.")
        if request.name == "Nobody":
            raise RuleViolationError("Nobody cannot be greeted.", code="greetings.nobody")
        if request.name == "Bug":
            raise KeyError("a bug in the command")
        self.ran.append(request.name)
        return CommandOutcome(uuid4(), len(self.ran), created=True)


def handler(commands: Commands) -> tuple[InboundHandler[Greeting], Sent]:
    sent = Sent()
    route = InboundRoute(name="greetings", topic="inbound.greetings.v1", request=Greeting, command=commands,
                         outcome_type="GreetingOutcome")  # fmt: skip
    return InboundHandler(route, sent, "p."), sent


def message(name: str, message_id: UUID | None = None) -> Record:
    return Record(json.dumps({"message_id": str(message_id or uuid4()), "name": name}).encode())


def test_outcomes_go_to_the_topics_outcomes_under_the_same_key():
    h, sent = handler(Commands())
    assert h.handle(Table(), [message("Ada")]) == []
    topic, key, outcome, headers = sent[0]
    assert (topic, key) == ("p.inbound.greetings.v1.outcomes", b"key")
    assert outcome["status"] == "accepted" and outcome["version"] == 1
    assert headers["ce_type"] == b"GreetingOutcome"
    assert h.group == "p.sessionstream.inbound.greetings"


@pytest.mark.parametrize("value", [b"not json", b'{"message_id": "not a uuid", "name": "x"}',
                                   b'{"message_id": "7d2b1c1e-0d5b-4d3e-9a53-6b0c2b4b7d11", "name": "a\\u0000b"}',
                                   None])  # fmt: skip
def test_a_message_that_fails_its_schema_is_dead_lettered_and_gets_no_outcome(value):
    commands = Commands()
    h, sent = handler(commands)
    dead = h.handle(Table(), [Record(value), message("Ada")])
    assert [d.value for d in dead] == [value]
    assert commands.ran == ["Ada"] and len(sent) == 1


def test_the_same_message_twice_runs_once_and_is_answered_once():
    commands, table = Commands(), Table()
    h, sent = handler(commands)
    again = message("Ada")
    h.handle(table, [again])
    h.handle(table, [again, Record(again.value.replace(b'"name"', b' "name"'))])  # the same body, spaced
    assert commands.ran == ["Ada"]
    assert len(sent) == 1


def test_a_reused_message_id_with_another_body_is_rejected_and_runs_nothing():
    commands, table = Commands(), Table()
    h, sent = handler(commands)
    message_id = uuid4()
    h.handle(table, [message("Ada", message_id)])
    recorded = dict(table.rows)
    h.handle(table, [message("Bo", message_id)])
    assert commands.ran == ["Ada"]
    assert table.rows == recorded  # the first body stays the recorded one
    reused = sent[1][2]
    assert reused["status"] == "rejected" and reused["code"] == MESSAGE_ID_REUSED
    assert reused["message_id"] == str(message_id)


def test_a_business_refusal_is_a_rejected_outcome_with_the_domain_code_and_message():
    h, sent = handler(Commands())
    assert h.handle(Table(), [message("Nobody")]) == []
    outcome = sent[0][2]
    assert (outcome["status"], outcome["code"], outcome["detail"]) == (
        "rejected",
        "greetings.nobody",
        "Nobody cannot be greeted.",
    )


def test_a_concurrency_conflict_fails_the_batch_to_be_retried_never_a_rejection():
    commands, table = Commands(conflicts=1), Table()
    h, sent = handler(commands)
    batch = [message("Ada")]
    with pytest.raises(InboundRetryError):
        h.handle(table, batch)
    assert sent == [] and table.rows == {}
    h.handle(table, batch)  # the runner's retry of the same batch
    assert sent[0][2]["status"] == "accepted"


def test_the_runners_policy_retries_what_the_handler_raises_for_a_conflict():
    from consumers.error_policy import Action, classify

    assert classify(InboundRetryError("conflict")) is Action.RETRY


def test_a_command_that_breaks_dead_letters_that_message_only():
    commands = Commands()
    h, sent = handler(commands)
    dead = h.handle(Table(), [message("Bug"), message("Ada")])
    assert len(dead) == 1 and isinstance(dead[0].error, KeyError)
    assert [o[2]["status"] for o in sent] == ["accepted"]
