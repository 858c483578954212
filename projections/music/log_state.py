"""Tune-log messages applied to an in-memory log: ``{entry_id: entry row}``.

Read models whose rows depend on several entries at once (a renumbering, a set move, a bulk replace)
load the logs a batch touches, apply the batch here, and write each touched log back once.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from producers.music import messages as v1

Entry = dict[str, Any]
Log = dict[UUID, Entry]

TUNE_MESSAGES = (
    v1.TuneAdded, v1.TuneRemoved, v1.TuneSetStartChanged, v1.TuneMoved, v1.SetMoved, v1.TuneLogRenumbered,
    v1.TuneLogReplaced, v1.TuneDetailsUpdated,
)  # fmt: skip


def _changed(log: Log, entry_id: UUID, **values: Any) -> None:
    if entry_id in log:  # an entry the read model never saw (a gap) is left alone, never invented
        log[entry_id] = {**log[entry_id], **values}


def apply_to_log(log: Log, m: Any) -> None:
    """Changes ``log`` as the tune-log message ``m`` says (every other message: nothing)."""
    match m:
        case v1.TuneAdded():
            log[m.entry_id] = {
                "entry_id": m.entry_id, "order_number": m.order_number, "continues_set": m.continues_set,
                "tune_id": m.tune_id, "name": m.name, "key_override": m.key_override,
                "setting_override": m.setting_override, "played_timestamp": m.played_timestamp,
                "inserted_at": m.inserted_at,
            }  # fmt: skip
        case v1.TuneRemoved():
            log.pop(m.entry_id, None)
        case v1.TuneSetStartChanged():
            _changed(log, m.entry_id, continues_set=m.continues_set)
        case v1.TuneMoved():
            _changed(log, m.entry_id, order_number=m.order_number, continues_set=m.continues_set)
            _changed(log, m.other_entry_id, order_number=m.other_order_number, continues_set=m.other_continues_set)
        case v1.SetMoved() | v1.TuneLogRenumbered():
            for entry_id, number in m.mapping.items():
                _changed(log, entry_id, order_number=number)
        case v1.TuneLogReplaced():
            log.clear()
            for item in m.entries:
                log[item.entry_id] = {
                    "entry_id": item.entry_id, "order_number": item.order_number, "continues_set": item.continues_set,
                    "tune_id": item.tune_id, "name": item.name, "key_override": None, "setting_override": None,
                    "played_timestamp": None, "inserted_at": m.at,
                }  # fmt: skip
        case v1.TuneDetailsUpdated():
            _changed(
                log, m.entry_id, tune_id=m.tune_id, name=m.name, key_override=m.key_override,
                setting_override=m.setting_override, played_timestamp=m.played_timestamp,
            )  # fmt: skip


def ordered(log: Log) -> list[Entry]:
    return sorted(log.values(), key=lambda entry: entry["order_number"])
