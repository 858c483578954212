"""A session instance: one dated occurrence of a session, with its tune log (A.1, A.6).

Invariants:
- ``date`` is a local date in the session's zone; ``start_time``/``end_time`` are ``HH:MM`` or None.
- ``is_active`` changes only through ``activate``/``deactivate``, which the application calls with the
  A.5 predicate's answer; a cancelled instance is never active.
- Tune log: live entries have strictly increasing ``order_number`` (kept in ``order``); the first entry
  has ``continues_set=False``; every entry has a tune_id or a non-blank name.  A removed entry leaves a
  tombstone (``removed``: id -> the id of the entry that preceded it, or ``HEAD``/``TAIL``), so a late
  command that names it still lands where it was (MU-31).  Entry ids are never reused.
- State is flat (``FlatStateCopy``): entry dicts are replaced, never mutated in place.

Events (A.7): listed with their fields in ``domain/music/RULES.md``; topic ``music.instances.v1``, key =
the instance id; dates travel as ISO strings, times as ``HH:MM``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.music.errors import (
    FIRST_SET_UP,
    FIRST_TUNE_LEFT,
    INVALID_PARAMETERS,
    LAST_SET_DOWN,
    LAST_TUNE_RIGHT,
    LEFT_ACROSS_SET,
    RIGHT_ACROSS_SET,
    TUNE_NOT_IN_INSTANCE,
    TuneMoveRefusedError,
    TuneNotFoundError,
    invalid,
)
from domain.music.tunelog import (
    HEAD,
    TAIL,
    TuneEntryView,
    TunePosition,
    neighbours,
    number_between,
    renumbering,
    sets_of,
    slot_for,
    view,
)
from domain.shared.copying import FlatStateCopy


class SessionInstance(FlatStateCopy, Aggregate):
    class LogMarkedComplete(Aggregate.Event):
        """A.1.  Version 2 renamed ``at`` to ``completed_at`` (it becomes ``log_complete_date``) and added
        ``tune_count``, the live entries then (None in version 1 events, which are upcast when read)."""

        class_version = 2
        completed_at: datetime
        tune_count: int | None = None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["completed_at"] = state.pop("at")
            state["tune_count"] = None

    @event("Created")
    def __init__(
        self,
        *,
        id: UUID,  # noqa: A002 - eventsourcing keeps it out of the event
        session_id: UUID,
        date: str,
        start_time: str | None,
        end_time: str | None,
        location_override: str | None,
        comments: str | None,
        created_by: str | None,
        auto_created: bool,
        horizon_hours: int | None,
        created_at: datetime,
        fingerprint: str,
    ) -> None:
        self.session_id = session_id
        self.date = date
        self.start_time = start_time
        self.end_time = end_time
        self.location_override = location_override
        self.comments = comments
        self.created_by = created_by
        self.auto_created = auto_created
        self.created_at = created_at
        self.fingerprint = fingerprint
        self.is_cancelled = False
        self.is_active = False
        self.log_complete_date: datetime | None = None
        self.deleted = False
        self.entries: dict[str, dict[str, Any]] = {}  # entry id -> values (replaced, never mutated)
        self.order: list[str] = []  # live entry ids by ascending order_number
        self.removed: dict[str, str] = {}  # tombstones: entry id -> preceding entry id, HEAD or TAIL

    # -- the instance --------------------------------------------------------------------------------

    def reschedule(self, date: str, start_time: str | None, end_time: str | None) -> bool:
        if (date, start_time, end_time) == (self.date, self.start_time, self.end_time):
            return False
        self._rescheduled(date=date, start_time=start_time, end_time=end_time)
        return True

    @event("Rescheduled")
    def _rescheduled(self, date: str, start_time: str | None, end_time: str | None) -> None:
        self.date, self.start_time, self.end_time = date, start_time, end_time

    def change_details(self, location_override: str | None, comments: str | None) -> None:
        if (location_override, comments) != (self.location_override, self.comments):
            self._details_changed(location_override=location_override, comments=comments)

    @event("DetailsChanged")
    def _details_changed(self, location_override: str | None, comments: str | None) -> None:
        self.location_override, self.comments = location_override, comments

    @staticmethod
    def _switch(wanted: bool, current: bool, *, on: Callable[..., Any], off: Callable[..., Any], at: datetime) -> bool:
        """Triggers ``on`` or ``off`` (with ``at``) to make a flag ``wanted``; False when it already is."""
        if wanted == current:
            return False
        (on if wanted else off)(at=at)
        return True

    def set_cancelled(self, cancelled: bool, at: datetime) -> bool:
        return self._switch(cancelled, self.is_cancelled, on=self._cancelled, off=self._uncancelled, at=at)

    @event("Cancelled")
    def _cancelled(self, at: datetime) -> None:
        self.is_cancelled = True

    @event("Uncancelled")
    def _uncancelled(self, at: datetime) -> None:
        self.is_cancelled = False

    def set_active(self, active: bool, at: datetime) -> bool:
        """A.5: records the predicate's answer when it differs from the stored flag."""
        return self._switch(active, self.is_active, on=self._activated, off=self._deactivated, at=at)

    @event("Activated")
    def _activated(self, at: datetime) -> None:
        self.is_active = True

    @event("Deactivated")
    def _deactivated(self, at: datetime) -> None:
        self.is_active = False

    def set_log_complete(self, complete: bool, at: datetime) -> None:
        """A.1: marking the log complete does not lock editing."""
        if complete and self.log_complete_date is None:
            self._log_marked_complete(completed_at=at, tune_count=len(self.order))
        elif not complete and self.log_complete_date is not None:
            self._log_reopened(at=at)

    @event(LogMarkedComplete)
    def _log_marked_complete(self, completed_at: datetime, tune_count: int | None = None) -> None:
        self.log_complete_date = completed_at

    @event("LogReopened")
    def _log_reopened(self, at: datetime) -> None:
        self.log_complete_date = None

    @event("Deleted")
    def delete(self, at: datetime) -> None:
        self.deleted = True

    # -- the tune log: reading -----------------------------------------------------------------------

    def tune_log(self) -> list[TuneEntryView]:
        return view(self.order, self.entries)

    def knows_entry(self, entry_id: UUID) -> bool:
        key = str(entry_id)
        return key in self.entries or key in self.removed

    def entry(self, entry_id: UUID) -> dict[str, Any] | None:
        return self.entries.get(str(entry_id))

    def _number(self, entry_id: str | None) -> int | None:
        return None if entry_id is None else int(self.entries[entry_id]["order_number"])

    def _neighbours(self, entry_id: str) -> tuple[str | None, str | None]:
        return neighbours(self.order, entry_id)

    def _slot(self, position: TunePosition) -> tuple[str | None, str | None]:
        return slot_for(position, self.order, self.entries, self.removed)

    # -- the tune log: commands ----------------------------------------------------------------------

    def add_tune(
        self,
        *,
        entry_id: UUID,
        position: TunePosition,
        continues_set: bool,
        tune_id: int | None,
        name: str | None,
        key_override: str | None,
        setting_override: int | None,
        played_timestamp: datetime | None,
        inserted_at: datetime,
        fingerprint: str,
    ) -> None:
        """A.6.1-3: the new entry's number is the midpoint of its neighbours' (renumbering first when the
        gap is exhausted); ``continues_set`` refers to the entry before it, so a first entry gets False."""
        previous, following = self._slot(position)
        number = number_between(self._number(previous), self._number(following))
        if number is None:
            self._renumbered(mapping=renumbering(self.order))
            number = number_between(self._number(previous), self._number(following))
            assert number is not None  # after renumbering every gap is STEP wide
        self._tune_added(
            entry_id=entry_id, order_number=number, continues_set=continues_set and previous is not None,
            tune_id=tune_id, name=name, key_override=key_override, setting_override=setting_override,
            played_timestamp=played_timestamp, inserted_at=inserted_at, fingerprint=fingerprint,
        )  # fmt: skip

    @event("TuneAdded")
    def _tune_added(
        self,
        entry_id: UUID,
        order_number: int,
        continues_set: bool,
        tune_id: int | None,
        name: str | None,
        key_override: str | None,
        setting_override: int | None,
        played_timestamp: datetime | None,
        inserted_at: datetime,
        fingerprint: str,
    ) -> None:
        key = str(entry_id)
        self.entries[key] = {
            "order_number": order_number, "continues_set": continues_set, "tune_id": tune_id, "name": name,
            "key_override": key_override, "setting_override": setting_override,
            "played_timestamp": played_timestamp, "inserted_at": inserted_at, "fingerprint": fingerprint,
        }  # fmt: skip
        self._sort()

    @event("TuneLogRenumbered")
    def _renumbered(self, mapping: dict[str, int]) -> None:
        self._apply_numbers(mapping)

    def remove_tune(self, entry_id: UUID) -> bool:
        """A.6.4: no renumbering; a removed set start passes the start to the next entry of its set.
        MU-32: removing an entry already removed is a no-op (False)."""
        key = str(entry_id)
        if key in self.removed:
            return False
        if key not in self.entries:
            raise TuneNotFoundError()
        _, following = self._neighbours(key)
        starts_set = not self.entries[key]["continues_set"]
        self._tune_removed(entry_id=entry_id)
        if starts_set and following is not None and self.entries[following]["continues_set"]:
            self._set_start_changed(entry_id=UUID(following), continues_set=False)
        return True

    @event("TuneRemoved")
    def _tune_removed(self, entry_id: UUID) -> None:
        key = str(entry_id)
        previous, _ = self._neighbours(key)
        self.removed[key] = previous if previous is not None else HEAD
        del self.entries[key]
        self.order.remove(key)

    @event("TuneSetStartChanged")
    def _set_start_changed(self, entry_id: UUID, continues_set: bool) -> None:
        key = str(entry_id)
        self.entries[key] = {**self.entries[key], "continues_set": continues_set}

    def move_tune(self, entry_id: UUID, direction: str) -> None:
        """A.6.6 and A.9.8: within its set only; swapping with the set's first entry swaps ``continues_set``
        too, so the set still starts at its first position."""
        if direction not in ("left", "right"):
            raise invalid("direction", INVALID_PARAMETERS, "tune.invalid_parameters")
        key = str(entry_id)
        if key not in self.entries:
            raise TuneNotFoundError()
        previous, following = self._neighbours(key)
        moved = self.entries[key]
        if direction == "left":
            if previous is None:
                raise TuneMoveRefusedError(FIRST_TUNE_LEFT)
            if not moved["continues_set"]:
                raise TuneMoveRefusedError(LEFT_ACROSS_SET)
            other_key, first_key = previous, previous
        else:
            if following is None:
                raise TuneMoveRefusedError(LAST_TUNE_RIGHT)
            if not self.entries[following]["continues_set"]:
                raise TuneMoveRefusedError(RIGHT_ACROSS_SET)
            other_key, first_key = following, key
        other = self.entries[other_key]
        swap_flags = not self.entries[first_key]["continues_set"]  # the swap involves the set's first entry
        self._tune_moved(
            entry_id=entry_id, direction=direction, order_number=other["order_number"],
            continues_set=other["continues_set"] if swap_flags else moved["continues_set"],
            other_entry_id=UUID(other_key), other_order_number=moved["order_number"],
            other_continues_set=moved["continues_set"] if swap_flags else other["continues_set"],
        )  # fmt: skip

    # fmt: off
    @event("TuneMoved")
    def _tune_moved(
        self, entry_id: UUID, direction: str, order_number: int, continues_set: bool, other_entry_id: UUID,
        other_order_number: int, other_continues_set: bool,
    ) -> None:
        # fmt: on
        key, other = str(entry_id), str(other_entry_id)
        self.entries[key] = {**self.entries[key], "order_number": order_number, "continues_set": continues_set}
        self.entries[other] = {
            **self.entries[other],
            "order_number": other_order_number,
            "continues_set": other_continues_set,
        }
        self._sort()

    def move_set(self, entry_id: UUID, direction: str) -> None:
        """A.6.7: the set containing the entry swaps with its neighbour set; then the log is renumbered."""
        if direction not in ("up", "down"):
            raise invalid("direction", INVALID_PARAMETERS, "tune.invalid_parameters")
        key = str(entry_id)
        if key not in self.entries:
            raise TuneNotFoundError()
        sets = sets_of(self.order, self.entries)
        index = next(i for i, members in enumerate(sets) if key in members)
        if direction == "up" and index == 0:
            raise TuneMoveRefusedError(FIRST_SET_UP)
        if direction == "down" and index == len(sets) - 1:
            raise TuneMoveRefusedError(LAST_SET_DOWN)
        other = index - 1 if direction == "up" else index + 1
        sets[index], sets[other] = sets[other], sets[index]
        mapping = renumbering([member for members in sets for member in members])
        self._set_moved(entry_id=entry_id, direction=direction, mapping=mapping)

    @event("SetMoved")
    def _set_moved(self, entry_id: UUID, direction: str, mapping: dict[str, int]) -> None:
        self._apply_numbers(mapping)

    def replace_tunes(self, entries: list[dict[str, Any]], at: datetime) -> None:
        """A.6.8: the log becomes exactly ``entries`` (already numbered and flagged by the caller's plan)."""
        self._replaced(entries=entries, at=at)

    @event("TuneLogReplaced")
    def _replaced(self, entries: list[dict[str, Any]], at: datetime) -> None:
        for key in self.order:
            self.removed[key] = TAIL
        self.entries = {}
        for item in entries:
            self.entries[str(item["entry_id"])] = {
                "order_number": item["order_number"], "continues_set": item["continues_set"],
                "tune_id": item["tune_id"], "name": item["name"], "key_override": None,
                "setting_override": None, "played_timestamp": None, "inserted_at": at, "fingerprint": "",
            }  # fmt: skip
        self._sort()

    def update_tune(self, entry_id: UUID, values: dict[str, Any]) -> bool:
        """A.6 details: ``values`` holds all five detail fields after the update (checked by the caller)."""
        key = str(entry_id)
        if key not in self.entries:
            raise TuneNotFoundError(TUNE_NOT_IN_INSTANCE)
        current = self.entries[key]
        if all(current[name] == value for name, value in values.items()):
            return False
        self._tune_details_updated(entry_id=entry_id, **values)
        return True

    @event("TuneDetailsUpdated")
    def _tune_details_updated(
        self,
        entry_id: UUID,
        tune_id: int | None,
        name: str | None,
        key_override: str | None,
        setting_override: int | None,
        played_timestamp: datetime | None,
    ) -> None:
        key = str(entry_id)
        self.entries[key] = {
            **self.entries[key], "tune_id": tune_id, "name": name, "key_override": key_override,
            "setting_override": setting_override, "played_timestamp": played_timestamp,
        }  # fmt: skip

    # -- helpers ---------------------------------------------------------------------------------------

    def _apply_numbers(self, mapping: dict[str, int]) -> None:
        for key, number in mapping.items():
            self.entries[key] = {**self.entries[key], "order_number": number}
        self._sort()

    def _sort(self) -> None:
        self.order = sorted(self.entries, key=lambda k: self.entries[k]["order_number"])
