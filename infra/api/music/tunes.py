"""The tune log of an instance (A.6): read it, add, change, remove and move tunes, move sets, replace it.

Commands answer ``{id, version}`` of the instance (the log lives in it); an add also names the new
``entry_id``.  The log is read from the instance aggregate, so a client re-rendering after its own
command sees that command.  Positions, directions and raw values reach the domain as given, which
answers with the spec's words: "Tune not found", "Cannot move first tune left", "Invalid parameters",
"Invalid setting_override value", ...
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Body, Depends, Response
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from domain.music.errors import invalid
from domain.music.tunelog import TuneEntryView, parse_setting_override
from infra.api.auth import bearer
from infra.api.context import DEFAULT_WAIT_MS, CommandResult, MinVersion, WaitMs, answer
from infra.api.instants import Instant, UtcInstant
from infra.api.music.common import MusicDep, at_version, result
from infra.api.problems import responses
from producers.music.wire import TuneSpecIn, parse_position, tune_sets

router = APIRouter(
    prefix="/music/instances/{instance_id}", tags=["music tune log"], dependencies=[Depends(bearer)],
    responses=responses(401, 403, 404, 409, 422, 503),
)  # fmt: skip

Position = Annotated[Any, Field(description='"end", {"after": entry_id} or {"before": entry_id}')]
TuneId = Annotated[Any, Field(json_schema_extra={"type": "integer"}, description="thesession.org tune id")]
SettingId = Annotated[Any, Field(json_schema_extra={"type": "integer"}, description="thesession.org setting id")]
INSTANT: TypeAdapter[datetime] = TypeAdapter(Instant)


class TuneAdd(BaseModel):
    """A.6 AddTune.  ``entry_id`` (or ``id``) lets a client name the new entry, so its later commands
    can refer to it before it has heard back (an offline phone); a repeat with the same values answers
    the first (200)."""

    model_config = ConfigDict(extra="forbid")

    entry_id: UUID | None = None
    id: UUID | None = None
    position: Position = "end"
    continues_set: Annotated[Any, Field(json_schema_extra={"type": "boolean"})] = False
    tune_id: TuneId = None
    name: str | None = None
    key_override: str | None = None
    setting_override: SettingId = None
    played_timestamp: Instant | None = None


class TuneAdded(CommandResult):
    entry_id: UUID


class Direction(BaseModel):
    model_config = ConfigDict(extra="forbid")

    direction: Annotated[Any, Field(json_schema_extra={"type": "string"})] = None


class Replacement(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sets: list[list[TuneSpecIn]]


class Replaced(CommandResult):
    modifications: int
    message: str


class TuneEntryOut(BaseModel):
    id: UUID
    order_number: int
    continues_set: bool
    tune_id: int | None
    name: str | None
    key_override: str | None
    setting_override: int | None
    played_timestamp: UtcInstant | None
    set_index: int


def entry_out(entry: TuneEntryView) -> TuneEntryOut:
    return TuneEntryOut(**{name: getattr(entry, name) for name in TuneEntryOut.model_fields})


def tune_changes(body: dict[str, Any]) -> dict[str, Any]:
    """A details PATCH as the domain takes it: ``setting_override`` as A.6 reads it ("" and "null" are
    null), ``played_timestamp`` as an instant; the rest (and unknown fields, MU-6) as given."""
    changes = dict(body)
    if "setting_override" in changes:
        changes["setting_override"] = parse_setting_override(changes["setting_override"])
    if changes.get("played_timestamp") is not None:
        try:
            changes["played_timestamp"] = INSTANT.validate_python(changes["played_timestamp"])
        except ValidationError:
            raise invalid(
                "played_timestamp", "played_timestamp must be an ISO 8601 instant.", "tune.played_timestamp.invalid"
            ) from None
    return changes


@router.get("/tunes")
async def get_tunes(
    instance_id: UUID, music: MusicDep, min_version: MinVersion = None, wait_ms: WaitMs = DEFAULT_WAIT_MS
) -> list[TuneEntryOut]:
    """The entries in order, each with its ``set_index`` (0 for the first set)."""

    def load() -> tuple[int, list[TuneEntryOut]]:
        instance = music.get_instance(instance_id)
        return instance.version, [entry_out(e) for e in instance.tune_log()]

    return (await at_version(load, lambda found: found[0], min_version, wait_ms))[1]


@router.post("/tunes", status_code=201)
def add_tune(instance_id: UUID, body: TuneAdd, response: Response, music: MusicDep) -> TuneAdded:
    if body.id is not None and body.entry_id is not None and body.id != body.entry_id:
        raise invalid("entry_id", "id and entry_id name the same entry; give one.", "tune.invalid_parameters")
    added = music.add_tune(
        instance_id, position=parse_position(body.position), continues_set=body.continues_set,
        tune_id=body.tune_id, name=body.name, key_override=body.key_override,
        setting_override=parse_setting_override(body.setting_override), played_timestamp=body.played_timestamp,
        entry_id=body.entry_id or body.id,
    )  # fmt: skip
    answer(added, response)
    assert added.entry_id is not None
    return TuneAdded(id=added.id, version=added.version, entry_id=added.entry_id)


@router.put("/tunes")
def replace_tunes(instance_id: UUID, body: Replacement, music: MusicDep) -> Replaced:
    """A.6.8 bulk replace: the log becomes exactly ``sets``; entries without identity are "Unknown tune"."""
    replaced = music.replace_tunes(instance_id, tune_sets(body.sets))
    return Replaced(
        id=replaced.id, version=replaced.version, modifications=replaced.modifications,
        message=f"Session saved successfully ({replaced.modifications} modifications)",
    )  # fmt: skip


@router.patch("/tunes/{entry_id}")
def update_tune(
    instance_id: UUID,
    entry_id: UUID,
    music: MusicDep,
    body: Annotated[
        dict[str, Any], Body(description="name, key_override, setting_override, tune_id, played_timestamp")
    ],
) -> CommandResult:
    return result(music.update_tune(instance_id, entry_id, tune_changes(body)))


@router.delete("/tunes/{entry_id}")
def remove_tune(instance_id: UUID, entry_id: UUID, music: MusicDep) -> CommandResult:
    """A.6.4; removing an entry already removed changes nothing (MU-32)."""
    return result(music.remove_tune(instance_id, entry_id))


@router.post("/tunes/{entry_id}/move")
def move_tune(instance_id: UUID, entry_id: UUID, body: Direction, music: MusicDep) -> CommandResult:
    """A.6.6: ``left`` or ``right``, within the tune's set."""
    return result(music.move_tune(instance_id, entry_id, body.direction))


@router.post("/sets/{entry_id}/move")
def move_set(instance_id: UUID, entry_id: UUID, body: Direction, music: MusicDep) -> CommandResult:
    """A.6.7: the set that contains the entry moves ``up`` or ``down``."""
    return result(music.move_set(instance_id, entry_id, body.direction))
