"""One ``inbound.tunelog.v1`` request -> one tune-log command -> one outcome (no Kafka, no SQL here).

The commands are the HTTP ones (``infra/api/music/tunes.py``), with the same conversions, so a phone's
queue and a browser reach the same log the same way.  An add without a client-chosen ``entry_id`` gets
one derived from the ``message_id``: a replayed message then finds its entry and changes nothing.
"""

from __future__ import annotations

from uuid import UUID, uuid5

from domain.music.application import MusicSessions, Outcome
from domain.music.tunelog import parse_setting_override
from domain.shared.errors import DomainError
from producers.music.inbound import Outcome as OutcomeMessage
from producers.music.inbound import TuneLogRequest
from producers.music.wire import parse_position, tune_sets

ENTRY_ID_NAMESPACE = UUID("5b0d7c1e-3f7a-4c55-9a52-7e1f0d3c2b91")


def entry_id_of(request: TuneLogRequest) -> UUID:
    """The entry an add creates: the client's id, else one derived from the message id."""
    return request.entry_id or request.id or uuid5(ENTRY_ID_NAMESPACE, str(request.message_id))


def command(app: MusicSessions, r: TuneLogRequest) -> Outcome:
    """Runs the request's command (the domain's errors propagate)."""
    instance_id = r.instance_id
    if r.action == "add":
        return app.add_tune(
            instance_id, position=parse_position(r.position), continues_set=r.continues_set, tune_id=r.tune_id,
            name=r.name, key_override=r.key_override, setting_override=parse_setting_override(r.setting_override),
            played_timestamp=r.played_timestamp, entry_id=entry_id_of(r),
        )  # fmt: skip
    if r.action == "replace":
        assert r.sets is not None  # the schema requires it
        return app.replace_tunes(instance_id, tune_sets(r.sets))
    assert r.entry_id is not None  # the schema requires it for every other action
    if r.action == "remove":
        return app.remove_tune(instance_id, r.entry_id)
    if r.action == "move":
        return app.move_tune(instance_id, r.entry_id, r.direction)  # type: ignore[arg-type]
    if r.action == "move_set":
        return app.move_set(instance_id, r.entry_id, r.direction)  # type: ignore[arg-type]
    changes = r.detail_changes()
    if "setting_override" in changes:
        changes["setting_override"] = parse_setting_override(changes["setting_override"])
    return app.update_tune(instance_id, r.entry_id, changes)


def execute(app: MusicSessions, request: TuneLogRequest) -> OutcomeMessage:
    """The request's outcome: ``accepted`` with the instance's version after it, or ``rejected`` with the
    domain's code and message (the spec's words: "Tune not found", "Cannot move first tune left", ...)."""
    try:
        done = command(app, request)
    except DomainError as error:
        return OutcomeMessage(
            message_id=request.message_id, status="rejected", code=error.code, detail=error.message,
            aggregate_id=request.instance_id,
        )  # fmt: skip
    return OutcomeMessage(
        message_id=request.message_id, status="accepted", aggregate_id=done.id, version=done.version,
        entry_id=getattr(done, "entry_id", None),
    )  # fmt: skip
