"""Pure rules of the tune log (A.6): positions, order numbers, sets, and the values of an entry.

The ``SessionInstance`` aggregate owns the log and records its events; it asks this module where a new
entry goes, which number it gets, and how a name or key is cleaned.  Nothing here touches an aggregate.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from domain.music.errors import (
    INVALID_PARAMETERS,
    INVALID_SETTING_OVERRIDE,
    UNKNOWN_TUNE,
    TuneNotFoundError,
    check_text,
    invalid,
)

#: A.6.1: the step between order numbers, and the renumbering unit.
STEP = 1000
NAME_LIMIT = 255
KEY_LIMIT = 20
SMART_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})
#: MU-31: where a tombstone's chain ends: the log's head, or its tail (entries a bulk replace dropped).
HEAD = "^"
TAIL = "$"
DETAIL_FIELDS = ("tune_id", "name", "key_override", "setting_override", "played_timestamp")


@dataclass(frozen=True)
class After:
    """Insert right after the entry (A.6 add command)."""

    entry_id: UUID


@dataclass(frozen=True)
class Before:
    """Insert right before the entry."""

    entry_id: UUID


TunePosition = Literal["end"] | After | Before
TuneDirection = Literal["left", "right"]
SetDirection = Literal["up", "down"]


@dataclass(frozen=True)
class TuneSpec:
    """One tune of a bulk replace (A.6.8): a thesession.org id and/or the name as played."""

    tune_id: int | None = None
    name: str | None = None


@dataclass(frozen=True)
class TuneEntryView:
    """One entry of ``GET .../tunes``: the entry in order, with the index of its set (0-based, MU-33)."""

    id: UUID
    order_number: int
    continues_set: bool
    tune_id: int | None
    name: str | None
    key_override: str | None
    setting_override: int | None
    played_timestamp: datetime | None
    set_index: int


# -- order numbers ---------------------------------------------------------------------------------------


def number_between(previous: int | None, following: int | None) -> int | None:
    """A.6.1-3: the order number of an entry between two neighbours (None: none), or None when the gap is
    exhausted and the log must be renumbered first."""
    low = previous or 0
    if following is None:
        return low + STEP
    if following - low >= 2:
        return low + (following - low) // 2
    return None


def renumbering(order: Sequence[str]) -> dict[str, int]:
    """A.6.5: ``STEP * k`` for k = 1..N in the given order."""
    return {entry_id: STEP * k for k, entry_id in enumerate(order, start=1)}


def neighbours(order: Sequence[str], entry_id: str) -> tuple[str | None, str | None]:
    """The live entries just before and just after ``entry_id`` (None at the head or tail)."""
    index = order.index(entry_id)
    previous = order[index - 1] if index > 0 else None
    following = order[index + 1] if index + 1 < len(order) else None
    return previous, following


def slot_for(
    position: TunePosition, order: Sequence[str], entries: Mapping[str, Any], removed: Mapping[str, str]
) -> tuple[str | None, str | None]:
    """The live entries a new one goes between (None: the log's head or tail), MU-30 and MU-31: a live
    reference is used as it is now; a removed one by the chain of tombstones to the nearest earlier live
    entry (or HEAD, or TAIL for entries a bulk replace dropped)."""
    if position == "end":
        return (order[-1] if order else None), None
    if not isinstance(position, (After, Before)):
        raise invalid("position", INVALID_PARAMETERS, "tune.invalid_parameters")
    key = str(position.entry_id)
    if key in entries:
        previous, following = neighbours(order, key)
        return (key, following) if isinstance(position, After) else (previous, key)
    if key not in removed:
        raise TuneNotFoundError()
    anchor = removed[key]
    while anchor in removed:
        anchor = removed[anchor]
    if anchor == HEAD:
        return None, (order[0] if order else None)
    if anchor == TAIL:
        return (order[-1] if order else None), None
    return anchor, neighbours(order, anchor)[1]


def sets_of(order: Sequence[str], entries: Mapping[str, Mapping[str, Any]]) -> list[list[str]]:
    """A.6 Sets: walking the entries in order, ``continues_set=false`` opens a set, ``true`` joins it."""
    sets: list[list[str]] = []
    for entry_id in order:
        if entries[entry_id]["continues_set"] and sets:
            sets[-1].append(entry_id)
        else:
            sets.append([entry_id])
    return sets


def view(order: Sequence[str], entries: Mapping[str, Mapping[str, Any]]) -> list[TuneEntryView]:
    views: list[TuneEntryView] = []
    set_index = -1
    for entry_id in order:
        entry = entries[entry_id]
        if not entry["continues_set"] or set_index < 0:
            set_index += 1
        views.append(
            TuneEntryView(
                id=UUID(entry_id),
                order_number=entry["order_number"],
                continues_set=entry["continues_set"],
                tune_id=entry["tune_id"],
                name=entry["name"],
                key_override=entry["key_override"],
                setting_override=entry["setting_override"],
                played_timestamp=entry["played_timestamp"],
                set_index=set_index,
            )
        )
    return views


# -- entry values ----------------------------------------------------------------------------------------


def clean_name(name: str | None) -> str | None:
    """A.6 name handling: trimmed, smart quotes made plain; blank -> None (MU-34); at most 255 chars."""
    if name is None:
        return None
    cleaned = name.strip().translate(SMART_QUOTES)
    check_text("name", cleaned, NAME_LIMIT, code="tune.name.too_long")
    return cleaned or None


def clean_key(key_override: str | None) -> str | None:
    """A.6: blank -> None; more than 20 chars -> ``tune.key_override.too_long``."""
    if key_override is None:
        return None
    cleaned = key_override.strip()
    check_text("key_override", cleaned, KEY_LIMIT, code="tune.key_override.too_long")
    return cleaned or None


def check_tune_id(tune_id: int | None) -> int | None:
    """MU-35: a thesession.org tune id is a positive integer."""
    if tune_id is not None and (not isinstance(tune_id, int) or isinstance(tune_id, bool) or tune_id < 1):
        raise invalid(
            "tune_id", "tune_id must be a positive integer (a thesession.org tune id).", "tune.tune_id.invalid"
        )
    return tune_id


def check_setting_override(setting_override: int | None) -> int | None:
    if setting_override is not None and (not isinstance(setting_override, int) or isinstance(setting_override, bool)):
        raise invalid("setting_override", INVALID_SETTING_OVERRIDE, "tune.setting_override.invalid")
    return setting_override


def parse_setting_override(value: object) -> int | None:
    """A.6 details update: ``""``/``"null"``/None -> None; an int or an integer string -> int; else
    "Invalid setting_override value" (for the HTTP and inbound layers, which receive raw values)."""
    if value is None or value in ("", "null"):
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            pass
    raise invalid("setting_override", INVALID_SETTING_OVERRIDE, "tune.setting_override.invalid")


def check_identity(tune_id: int | None, name: str | None) -> None:
    """A.6 invariant: a tune_id or a non-blank name (``tune.identity_required``)."""
    if tune_id is None and name is None:
        raise invalid("name", "A tune needs a tune_id or a name.", "tune.identity_required")


def bulk_entry(spec: TuneSpec) -> tuple[int | None, str | None]:
    """A.6.8: a bulk-replace entry; one without identity is stored as "Unknown tune"."""
    tune_id, name = check_tune_id(spec.tune_id), clean_name(spec.name)
    if tune_id is None and name is None:
        name = UNKNOWN_TUNE
    return tune_id, name
