"""Tune log commands (A.6): add, remove, move a tune, move a set, update details, bulk replace.

Each loads only the instance (the tune log lives in it) and saves it once.  Commands from an offline
phone arrive late and in its own order: positions name entries (after / before an entry id), so they
land next to the entry the musician saw, whatever was added elsewhere meanwhile (MU-30, MU-31).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from domain.music.commands.base import MusicApplicationBase
from domain.music.errors import IdReusedError, invalid
from domain.music.instance import SessionInstance
from domain.music.tunelog import (
    DETAIL_FIELDS,
    STEP,
    After,
    Before,
    TuneEntryView,
    TunePosition,
    TuneSpec,
    bulk_entry,
    check_identity,
    check_setting_override,
    check_tune_id,
    clean_key,
    clean_name,
)
from domain.shared.application import Outcome, fingerprint
from domain.shared.clock import as_utc


@dataclass(frozen=True)
class AddedTune(Outcome):
    """``id``/``version`` are the instance's; ``entry_id`` the new entry's."""

    entry_id: UUID | None = None


@dataclass(frozen=True)
class ReplacedLog(Outcome):
    """A.6.8: ``modifications`` counts the positions whose tune, name or set flag changed, plus the
    difference in length (MU-36)."""

    modifications: int = 0


def _position_key(position: TunePosition) -> str:
    if isinstance(position, After):
        return f"after:{position.entry_id}"
    if isinstance(position, Before):
        return f"before:{position.entry_id}"
    return str(position)


class TuneCommands(MusicApplicationBase):
    def add_tune(
        self,
        instance_id: UUID,
        *,
        position: TunePosition = "end",
        continues_set: bool = False,
        tune_id: int | None = None,
        name: str | None = None,
        key_override: str | None = None,
        setting_override: int | None = None,
        played_timestamp: datetime | None = None,
        entry_id: UUID | None = None,
    ) -> AddedTune:
        """A.6 AddTune.  A repeat with the same ``entry_id`` and values answers the first (MU-37)."""
        if not isinstance(continues_set, bool):
            raise invalid("continues_set", "continues_set must be true or false.", "tune.invalid_parameters")
        tune_id, name = check_tune_id(tune_id), clean_name(name)
        key_override, setting_override = clean_key(key_override), check_setting_override(setting_override)
        check_identity(tune_id, name)
        played = as_utc(played_timestamp) if played_timestamp is not None else None
        new_id = entry_id or uuid4()
        digest = fingerprint({
            "position": _position_key(position), "continues_set": continues_set, "tune_id": tune_id, "name": name,
            "key_override": key_override, "setting_override": setting_override, "played_timestamp": played,
        })  # fmt: skip

        def attempt() -> AddedTune:
            instance = self.get_instance(instance_id)
            if instance.knows_entry(new_id):
                entry = instance.entry(new_id)
                if entry is not None and entry["fingerprint"] != digest:
                    raise IdReusedError("tune entry")
                return AddedTune(instance.id, instance.version, created=False, entry_id=new_id)
            instance.add_tune(
                entry_id=new_id, position=position, continues_set=continues_set, tune_id=tune_id, name=name,
                key_override=key_override, setting_override=setting_override, played_timestamp=played,
                inserted_at=self.clock.now(), fingerprint=digest,
            )  # fmt: skip
            self.save(instance)
            return AddedTune(instance.id, instance.version, created=True, entry_id=new_id)

        result: AddedTune = self.one_at_a_time(instance_id, lambda: self.retrying(attempt))
        return result

    def remove_tune(self, instance_id: UUID, entry_id: UUID) -> Outcome:
        """A.6.4; removing an entry already removed changes nothing (MU-32)."""
        return self._on_instance(instance_id, lambda instance: instance.remove_tune(entry_id))

    def move_tune(self, instance_id: UUID, entry_id: UUID, direction: str) -> Outcome:
        """A.6.6: ``direction`` is ``left`` or ``right``."""
        return self._on_instance(instance_id, lambda instance: instance.move_tune(entry_id, direction))

    def move_set(self, instance_id: UUID, entry_id: UUID, direction: str) -> Outcome:
        """A.6.7: the set that contains the entry; ``direction`` is ``up`` or ``down``."""
        return self._on_instance(instance_id, lambda instance: instance.move_set(entry_id, direction))

    def update_tune(self, instance_id: UUID, entry_id: UUID, changes: Mapping[str, Any]) -> Outcome:
        """A.6 details (PATCH): only the given fields change; blank name or key -> null; the entry must
        keep a tune_id or a name."""
        unknown = sorted(set(changes) - set(DETAIL_FIELDS))
        if unknown:
            raise invalid(unknown[0], f"Unknown tune field: {unknown[0]}.", "tune.field.unknown")
        cleaned: dict[str, Any] = {}
        if "tune_id" in changes:
            cleaned["tune_id"] = check_tune_id(changes["tune_id"])
        if "name" in changes:
            cleaned["name"] = clean_name(changes["name"])
        if "key_override" in changes:
            cleaned["key_override"] = clean_key(changes["key_override"])
        if "setting_override" in changes:
            cleaned["setting_override"] = check_setting_override(changes["setting_override"])
        if "played_timestamp" in changes:
            played = changes["played_timestamp"]
            cleaned["played_timestamp"] = as_utc(played) if played is not None else None

        def change(instance: SessionInstance) -> None:
            current = instance.entry(entry_id) or {}
            values = {name: cleaned.get(name, current.get(name)) for name in DETAIL_FIELDS}
            if current:
                check_identity(values["tune_id"], values["name"])
            instance.update_tune(entry_id, values)

        return self._on_instance(instance_id, change)

    def replace_tunes(self, instance_id: UUID, sets: Sequence[Sequence[TuneSpec]]) -> ReplacedLog:
        """A.6.8 bulk replace: the log becomes ``sets`` exactly (empty sets dropped, MU-36), numbered
        ``1000 * k``, each set's first entry opening it; entries without identity are "Unknown tune"."""
        planned: list[dict[str, Any]] = []
        for members in sets:
            for index, spec in enumerate(members):
                tune_id, name = bulk_entry(spec)
                planned.append({
                    "entry_id": uuid4(), "order_number": STEP * (len(planned) + 1), "continues_set": index > 0,
                    "tune_id": tune_id, "name": name,
                })  # fmt: skip

        def attempt() -> ReplacedLog:
            instance = self.get_instance(instance_id)
            before = [(e.tune_id, e.name, e.continues_set) for e in instance.tune_log()]
            after = [(e["tune_id"], e["name"], e["continues_set"]) for e in planned]
            modifications = sum(1 for old, new in zip(before, after, strict=False) if old != new)
            modifications += abs(len(before) - len(after))
            instance.replace_tunes(planned, self.clock.now())
            self.save(instance)
            return ReplacedLog(instance.id, instance.version, modifications=modifications)

        result: ReplacedLog = self.one_at_a_time(instance_id, lambda: self.retrying(attempt))
        return result

    def tune_log(self, instance_id: UUID) -> list[TuneEntryView]:
        """``GET /music/instances/{id}/tunes``: the entries in order, with their ``set_index``."""
        return self.get_instance(instance_id).tune_log()

    def _on_instance(self, instance_id: UUID, change: Any) -> Outcome:
        def attempt() -> Outcome:
            instance = self.get_instance(instance_id)
            change(instance)
            if instance.pending_events:
                self.save(instance)
            return Outcome(instance.id, instance.version)

        return self.one_at_a_time(instance_id, lambda: self.retrying(attempt))
