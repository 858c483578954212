"""``inbound.tunelog.v1`` -> tune-log commands: one outcome per message, dead letters, idempotent.

The loop (dead letters, idempotency by ``message_id``, publishing the outcomes) is the shared one,
``consumers.inbound.InboundConsumer``; what is music's own is the request model
(``producers.music.inbound.TuneLogRequest``), the command (``tunelog_commands.execute``), its reused-id
answer, and where its fingerprints are: in the shared ``inbound_messages`` table, inside the
``outcome`` document (``body_fingerprint``), as they were recorded before the loop was shared.

Records come in partition order and the key is the instance id, so one instance's commands run in the
order the phone queued them.  A crash after a command but before the runner's commit replays the
tail: add (its entry id is fixed), remove (a removed entry stays removed), update and replace (absolute
values) are safe to run again; a replayed move would move again, in that window only.
"""

from __future__ import annotations

from typing import Any

from consumers.inbound import InboundConsumer, Ledger
from consumers.music.tunelog_commands import execute
from domain.music.application import MusicSessions
from producers.inbound import MESSAGE_ID_REUSED
from producers.music.inbound import Outcome, TuneLogRequest
from producers.music.topics import INBOUND_TUNELOG

REUSED_DETAIL = "This message_id was already used for a different message."
#: A row without the key (none was ever recorded so) is another body: the id is reused.
TUNELOG_LEDGER = Ledger(fingerprint_key="body_fingerprint")


class InboundTuneLog(InboundConsumer[TuneLogRequest, Outcome]):
    ledger = TUNELOG_LEDGER
    # A command failing otherwise than by the domain's refusal fails the batch, as it always did here:
    # the worker stops (and is restarted) rather than parking a command a phone queued.
    dead_letter_failed_commands = False

    def __init__(self, app: MusicSessions, producer: Any, topic_prefix: str = "") -> None:
        super().__init__("tunelog", INBOUND_TUNELOG, "TuneLogRequestOutcome", producer, topic_prefix)
        self.app = app

    def parse(self, value: bytes | None) -> TuneLogRequest:
        # A tombstone (None) fails pydantic's JSON input check: a ValidationError, a dead letter.
        return TuneLogRequest.model_validate_json(value)  # type: ignore[arg-type]

    def execute(self, request: TuneLogRequest) -> Outcome:
        return execute(self.app, request)

    def reused(self, request: TuneLogRequest) -> Outcome:
        return Outcome(
            message_id=request.message_id, status="rejected", code=MESSAGE_ID_REUSED, detail=REUSED_DETAIL,
            aggregate_id=request.instance_id,
        )  # fmt: skip
