"""``inbound.tunelog.v1``: tune-log commands from logging apps that work offline, and their outcomes.

A request is ``{message_id, instance_id, action, ...}`` with the fields of the matching HTTP command
(``api/music.md``): ``add`` (``position``, ``continues_set``, ``tune_id``, ``name``, ``key_override``,
``setting_override``, ``played_timestamp``, and the client-chosen ``entry_id`` a queued later command
may name), ``remove`` (``entry_id``), ``move`` (``entry_id``, ``direction`` left|right), ``move_set``
(``entry_id``, ``direction`` up|down), ``update`` (``entry_id`` and the detail fields to change), ``replace``
(``sets``).  The key is the instance id, so one instance's commands stay in order.

What the schema refuses (not JSON, unknown action, a field of the wrong type, a field the action needs
missing) is a dead letter; what the domain refuses (an unknown entry, "Cannot move first tune left",
a bad position or direction: "Invalid parameters") is a ``rejected`` outcome, as over HTTP.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator

from producers.music.wire import TuneSpecIn

Action = Literal["add", "remove", "move", "move_set", "update", "replace"]
REQUIRED_BY_ACTION: dict[str, tuple[str, ...]] = {
    "add": (),
    "remove": ("entry_id",),
    "move": ("entry_id", "direction"),
    "move_set": ("entry_id", "direction"),
    "update": ("entry_id",),
    "replace": ("sets",),
}
#: The fields an ``update`` may change (``PATCH /music/instances/{id}/tunes/{entry_id}``).
DETAIL_FIELDS = ("tune_id", "name", "key_override", "setting_override", "played_timestamp")


class TuneLogRequest(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    message_id: UUID
    instance_id: UUID
    action: Action
    entry_id: UUID | None = Field(default=None, description="add: the new entry's id (client-chosen); else the entry")
    id: UUID | None = Field(default=None, description="add: the same as entry_id (the HTTP create's name for it)")
    position: Any = Field(default="end", description='"end" | {"after": entry_id} | {"before": entry_id}')
    continues_set: bool = False
    tune_id: Any = None
    name: str | None = None
    key_override: str | None = None
    setting_override: Any = None
    played_timestamp: datetime | None = None
    direction: str | None = None
    sets: list[list[TuneSpecIn]] | None = None

    @model_validator(mode="after")
    def _action_has_its_fields(self) -> TuneLogRequest:
        missing = [f for f in REQUIRED_BY_ACTION[self.action] if getattr(self, f) is None]
        if missing:
            raise ValueError(f"action {self.action!r} requires {', '.join(missing)}")
        if self.id is not None and self.entry_id is not None and self.id != self.entry_id:
            raise ValueError("id and entry_id name the same entry; give one")
        return self

    def detail_changes(self) -> dict[str, Any]:
        """``update``: the detail fields the message carries (absent ones stay as they are)."""
        return {name: getattr(self, name) for name in DETAIL_FIELDS if name in self.model_fields_set}


class Outcome(BaseModel):
    """One per request on ``inbound.tunelog.v1.outcomes`` (same key); ``entry_id`` names an added entry."""

    message_id: UUID
    status: Literal["accepted", "rejected"]
    code: str | None = None
    detail: str | None = None
    aggregate_id: UUID | None = None
    version: int | None = None
    entry_id: UUID | None = None
