"""``inbound.tunelog.v1`` -> tune-log commands: one outcome per message, dead letters, idempotent.

The batch handler of the consumer runner (its offsets commit in the same transaction as the
de-duplication rows written here):

1. parse (``producers.music.inbound.TuneLogRequest``): what does not parse or fails the schema is a
   dead letter, and the next record is processed;
2. de-duplicate by ``message_id`` in ``inbound_messages``: the same id with the same body (compared
   parsed, so key order and spacing do not matter) was processed already and gets nothing new; the
   same id with another body gets a ``rejected`` outcome with code ``inbound.message_id_reused``;
3. run the command (``tunelog_commands.execute``) and publish its outcome on ``.outcomes`` with the
   request's key.

Records come in partition order and the key is the instance id, so one instance's commands run in the
order the phone queued them.  A crash after a command but before the runner's commit replays the
tail: add (its entry id is fixed), remove (a removed entry stays removed), update and replace (absolute
values) are safe to run again; a replayed move would move again, in that window only.

Written to port onto the shared inbound machinery (``consumers/inbound.py``, in progress elsewhere):
the request model and ``tunelog_commands.execute`` are the two pieces it needs; this module is the
plumbing it replaces.  Until then the body's fingerprint rides in the shared table's ``outcome``
document (``body_fingerprint``), so no shared migration changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from psycopg import Cursor
from psycopg.types.json import Jsonb

from consumers.dead_letters import DeadLetter
from consumers.error_policy import Action, classify
from consumers.music.tunelog_commands import execute
from domain.music.application import MusicSessions
from domain.shared.application import fingerprint
from producers.music.inbound import Outcome, TuneLogRequest
from producers.music.topics import INBOUND_TUNELOG
from producers.topics import outcomes_topic, physical

REUSED_CODE = "inbound.message_id_reused"
REUSED_DETAIL = "This message_id was already used for a different message."


def body_fingerprint(request: TuneLogRequest) -> str:
    return fingerprint(request.model_dump(mode="json"))


class InboundTuneLog:
    def __init__(self, app: MusicSessions, producer: Any, topic_prefix: str = "") -> None:
        self.app = app
        self.producer = producer
        self.group = f"{topic_prefix}sessionstream.inbound.tunelog"
        self.topics = (physical(INBOUND_TUNELOG, topic_prefix),)
        self.outcomes = physical(outcomes_topic(INBOUND_TUNELOG), topic_prefix)

    def handle(self, cur: Cursor[Any], records: Sequence[Any]) -> list[DeadLetter]:
        dead: list[DeadLetter] = []
        futures = []
        for record in records:
            try:
                request = TuneLogRequest.model_validate_json(record.value)
            except Exception as error:
                if classify(error) is not Action.DEAD_LETTER:
                    raise
                dead.append(DeadLetter.of(record, error))
                continue
            outcome = self.outcome_of(cur, request, record.topic)
            if outcome is not None:
                futures.append(self.producer.send(
                    self.outcomes, key=record.key, value=outcome.model_dump_json().encode(),
                    headers=[("ce_type", b"TuneLogRequestOutcome"), ("message_id", str(request.message_id).encode())],
                ))  # fmt: skip
        if futures:
            self.producer.flush()
            for future in futures:
                future.get(timeout=0)
        return dead

    def outcome_of(self, cur: Cursor[Any], request: TuneLogRequest, topic: str) -> Outcome | None:
        """The request's outcome; None for a duplicate (its outcome was published the first time)."""
        digest = body_fingerprint(request)
        cur.execute("SELECT outcome FROM inbound_messages WHERE message_id = %s", (request.message_id,))
        seen = cur.fetchone()
        if seen is not None:
            if seen[0].get("body_fingerprint") == digest:
                return None
            return Outcome(
                message_id=request.message_id, status="rejected", code=REUSED_CODE, detail=REUSED_DETAIL,
                aggregate_id=request.instance_id,
            )  # fmt: skip
        outcome = execute(self.app, request)
        cur.execute(
            "INSERT INTO inbound_messages (message_id, topic, outcome) VALUES (%s, %s, %s)",
            (request.message_id, topic, Jsonb({**outcome.model_dump(mode="json"), "body_fingerprint": digest})),
        )
        return outcome
