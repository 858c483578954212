"""``consumers.inbound.Ledger``: each context's ``message_id`` ledger keeps the layout (and so the SQL)
its consumer used before the loop was shared, so the rows already recorded keep their meaning."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import pytest

from consumers.charging.inbound import CHARGING_LEDGER
from consumers.classroom.presence import PRESENCE_LEDGER
from consumers.inbound import INBOUND_LEDGER, Seen
from consumers.music.inbound_tunelog import TUNELOG_LEDGER
from producers.inbound import Outcome


@pytest.mark.parametrize(("ledger", "select", "insert"), [
    (INBOUND_LEDGER, "SELECT fingerprint FROM inbound_messages WHERE message_id = %s",
     "INSERT INTO inbound_messages (message_id, topic, outcome, fingerprint) VALUES (%s, %s, %s, %s)"),
    (CHARGING_LEDGER, "SELECT fingerprint FROM charging_inbound_messages WHERE message_id = %s",
     "INSERT INTO charging_inbound_messages (message_id, outcome, fingerprint) VALUES (%s, %s, %s)"),
    (TUNELOG_LEDGER, "SELECT outcome ->> 'body_fingerprint' FROM inbound_messages WHERE message_id = %s",
     "INSERT INTO inbound_messages (message_id, topic, outcome) VALUES (%s, %s, %s)"),
    (PRESENCE_LEDGER, "SELECT outcome ->> 'fingerprint' FROM inbound_messages WHERE message_id = %s",
     "INSERT INTO inbound_messages (message_id, topic, outcome) VALUES (%s, %s, %s)"),
])  # fmt: skip
def test_each_ledger_reads_and_writes_its_layout(ledger, select, insert):
    assert (ledger._select_one, ledger._insert) == (select, insert)


def test_the_fingerprint_goes_in_the_column_or_in_the_outcome_document():
    outcome = Outcome(message_id=uuid4(), status="accepted", version=1)
    _, topic, document, digest = INBOUND_LEDGER._row(outcome.message_id, "t", outcome, "abc")
    assert (topic, digest, "fingerprint" in document.obj) == ("t", "abc", False)
    _, document, digest = CHARGING_LEDGER._row(outcome.message_id, "t", outcome, "abc")
    assert digest == "abc"
    _, _, document = TUNELOG_LEDGER._row(outcome.message_id, "t", outcome, "abc")
    assert document.obj["body_fingerprint"] == "abc" and document.obj["status"] == "accepted"
    _, _, document = PRESENCE_LEDGER._row(outcome.message_id, "t", outcome, "abc")
    assert document.obj["fingerprint"] == "abc"


def test_a_row_without_a_fingerprint_is_a_repeat_only_where_it_was_before():
    assert INBOUND_LEDGER.verdict(None, "abc") is Seen.REPEAT  # rows from before 0002_fingerprint
    for ledger in (CHARGING_LEDGER, TUNELOG_LEDGER, PRESENCE_LEDGER):
        assert ledger.verdict(None, "abc") is Seen.REUSED
        assert ledger.verdict("abc", "abc") is Seen.REPEAT and ledger.verdict("abd", "abc") is Seen.REUSED


class Cursor:
    def __init__(self, known: dict[Any, str]) -> None:
        self.known, self.queries = known, 0

    def execute(self, statement: str, params: Any) -> None:
        self.queries += 1
        self.rows = [(i, self.known[i]) for i in params[0] if i in self.known]

    def fetchall(self) -> list:
        return self.rows


def test_a_batch_is_triaged_in_one_query_its_own_repeats_included():
    known, fresh = uuid4(), uuid4()
    cur = Cursor({known: "k"})
    batch = [(known, "k"), (known, "other"), (fresh, "f"), (fresh, "f"), (fresh, "other")]
    assert PRESENCE_LEDGER.triage(cur, batch) == [Seen.REPEAT, Seen.REUSED, Seen.NEW, Seen.REPEAT, Seen.REUSED]
    assert cur.queries == 1
    assert PRESENCE_LEDGER.triage(cur, []) == [] and cur.queries == 1


class Empty:
    """A ledger with nothing recorded (the record-by-record path: execute, fetchone)."""

    def execute(self, statement: str, params: Any) -> None:
        pass

    def fetchone(self) -> None:
        return None


class Record:
    topic, partition, offset, key, headers = "inbound.tunelog.v1", 0, 0, b"k", ()

    def __init__(self, value: bytes) -> None:
        self.value = value


class Broken:
    def add_tune(self, *args: Any, **kwargs: Any) -> None:
        raise KeyError("a bug in the command")


def test_music_fails_the_batch_on_a_broken_command_as_it_did_rather_than_dead_lettering_it():
    from consumers.music.inbound_tunelog import InboundTuneLog

    handler = InboundTuneLog(Broken(), producer=None)  # type: ignore[arg-type]
    request = f'{{"message_id": "{uuid4()}", "instance_id": "{uuid4()}", "action": "add"}}'.encode()
    with pytest.raises(KeyError):
        handler.handle(Empty(), [Record(request)])  # type: ignore[arg-type]
    assert handler.handle(Empty(), [Record(b"not json")])[0].value == b"not json"  # type: ignore[arg-type]
