"""The charging session aggregate, its status transitions and its update policy."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.charging.errors import (
    CurrencyChangeError,
    PeriodOrderError,
    SessionFinalError,
    StatusTransitionError,
)
from domain.charging.identity import session_aggregate_id
from domain.charging.values import ChargingPreferences, SessionObject, SessionPatch, extra_text, extra_values
from domain.charging.vocabulary import FINAL_STATUSES, ChargingPreferencesResponse, SessionStatus
from domain.shared.copying import FlatStateCopy

S = SessionStatus
#: CH-14: the status changes the spec's text allows (a status may always stay what it is).
ALLOWED_TRANSITIONS: Mapping[str, frozenset[str]] = {
    S.PENDING: frozenset({S.ACTIVE, S.COMPLETED, S.INVALID}),
    S.RESERVATION: frozenset({S.ACTIVE, S.COMPLETED, S.INVALID}),
    S.ACTIVE: frozenset({S.COMPLETED, S.INVALID}),
    S.COMPLETED: frozenset(),
    S.INVALID: frozenset(),
}


@dataclass(frozen=True)
class SessionPolicy:
    """CH-17: the two policy flags the spec asks for; the defaults are its recommendations."""

    ignore_stale_updates: bool = True  # R-13; False applies them blindly, as the library does
    final_statuses_are_terminal: bool = True  # R-7; False lets COMPLETED/INVALID sessions change


class UpdateResult(StrEnum):
    """What a PUT or PATCH did; every one is answered OCPI 1000."""

    APPLIED = "applied"
    UNCHANGED = "unchanged"  # CH-13: nothing to record
    IGNORED_AS_STALE = "ignored_as_stale"  # recorded as StaleUpdateIgnored


def check_status_may_change(from_status: str, to_status: str, policy: SessionPolicy) -> None:
    """CH-14 (the final statuses are checked by ``check_session_is_open`` first)."""
    if from_status in FINAL_STATUSES and not policy.final_statuses_are_terminal:
        return
    if to_status != from_status and to_status not in ALLOWED_TRANSITIONS[from_status]:
        raise StatusTransitionError(from_status, to_status)


def check_periods_are_chronological(previous: datetime | None, periods: Sequence[Mapping[str, Any]]) -> None:
    """R-19, CH-12: each period starts strictly after ``previous`` and the ones before it."""
    for period in periods:
        start: datetime = period["start_date_time"]
        if previous is not None and start <= previous:
            raise PeriodOrderError(start, previous)
        previous = start


class ChargingSession(FlatStateCopy, Aggregate):
    """The charging session: one OCPI Session object per identity, as the CPO pushed it.

    Invariants (under the default ``SessionPolicy``):
    - one aggregate per identity ``(country_code, party_id, id)`` compared case-insensitively; its id is
      ``session_aggregate_id`` of it (R-1, CH-1); the casing of the latest PUT is kept for output;
    - every required field is present after each event (``validation`` refuses the rest, R-4, R-5);
    - ``last_updated`` never decreases: an older PUT/PATCH is recorded as ignored and changes nothing
      (R-13); an update with the same ``last_updated`` that changes nothing records nothing (CH-13);
    - the status moves only along the transitions of ``ALLOWED_TRANSITIONS`` (CH-14); COMPLETED and
      INVALID are final: a later change is refused, a repeat that changes nothing is accepted (R-7);
    - charging periods start strictly one after the other, each with at least one dimension (R-19,
      CH-12); a PATCH only appends (R-6), a PUT replaces the whole list (R-3);
    - the currency never changes after creation (CH-22).
    Not enforced, on purpose: ``kwh`` monotonicity or ``kwh`` = sum of ENERGY (R-11), ``end_date_time``
    on COMPLETED (R-12), ``total_cost`` (R-10), ``#NA`` only for reservations (R-15), the sender's duties
    R-8 and R-9.

    Events (CH-15): ``Created``, ``Replaced``, ``FieldsPatched``, ``PeriodsAppended``, ``StatusChanged``,
    ``StaleUpdateIgnored``, ``PreferencesSet``; each carries what a read model needs to follow the session.

    Cost (CH-20): a PATCH reads only the last period and the periods it carries, and its events carry
    only what changed, so its cost does not grow with the number of stored periods.
    """

    class PreferencesSet(Aggregate.Event):
        """CH-16's record.  Version 2 renamed ``response`` to ``answer`` (``response`` read as the HTTP
        response, which carries more) and added ``judged_at``, the clock instant the departure time was
        judged against (None in version 1 events).  Version 1 events are upcast when they are read."""

        class_version = 2
        preferences: dict[str, Any]
        answer: str
        judged_at: datetime | None = None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["answer"] = state.pop("response")
            state["judged_at"] = None

    @staticmethod
    def create_id(session: Mapping[str, Any]) -> UUID:
        return session_aggregate_id(session["country_code"], session["party_id"], session["id"])

    @event("Created")
    def __init__(self, session: dict[str, Any]) -> None:
        self._keep(session)
        self.preferences: dict[str, Any] | None = None
        self.preferences_response: str | None = None

    def _keep(self, session: Mapping[str, Any]) -> None:
        document = dict(session)
        self.charging_periods: list[dict[str, Any]] = list(document.pop("charging_periods"))
        self.document: dict[str, Any] = document  # every top-level field but the periods, stored form

    # -- reading ------------------------------------------------------------------------------------

    @property
    def status(self) -> str:
        return self.document["status"]

    @property
    def last_updated(self) -> datetime:
        return self.document["last_updated"]

    @property
    def last_period_start(self) -> datetime | None:
        return self.charging_periods[-1]["start_date_time"] if self.charging_periods else None

    def stored(self) -> dict[str, Any]:
        """The whole session in stored form (``rendering.render_session`` writes it per version)."""
        return {**self.document, "charging_periods": list(self.charging_periods)}

    # -- PUT (R-3) ----------------------------------------------------------------------------------

    @classmethod
    def create(cls, session: SessionObject) -> ChargingSession:
        """A first PUT: any status is accepted (the spec tolerates sessions first seen ACTIVE or final)."""
        stored = session.to_stored()
        check_periods_are_chronological(None, stored["charging_periods"])
        return cls(session=stored)

    def replace(self, session: SessionObject, policy: SessionPolicy) -> UpdateResult:
        """A later PUT replaces the whole object, periods included (R-3)."""
        if self._is_stale(session.last_updated, "PUT", policy):
            return UpdateResult.IGNORED_AS_STALE
        stored = session.to_stored()
        document = {name: value for name, value in stored.items() if name != "charging_periods"}
        unchanged = not _differs(self.document, document) and stored["charging_periods"] == self.charging_periods
        if unchanged and (document == self.document or self._is_final(policy)):
            return UpdateResult.UNCHANGED  # CH-13, R-7: a repeat, or a final session re-sent
        self.check_session_is_open(policy)
        self.check_currency_is_unchanged(stored["currency"])
        check_status_may_change(self.status, stored["status"], policy)
        check_periods_are_chronological(None, stored["charging_periods"])
        from_status = self.status
        self._replaced(session=stored)
        if stored["status"] != from_status:
            self._status_changed(from_status=from_status, to_status=stored["status"])
        return UpdateResult.APPLIED

    @event("Replaced")
    def _replaced(self, session: dict[str, Any]) -> None:
        self._keep(session)

    # -- PATCH (R-4..R-6) ---------------------------------------------------------------------------

    def patch(self, patch: SessionPatch, policy: SessionPolicy) -> UpdateResult:
        """Merges the sent top-level fields; nested objects come whole (R-5); periods are appended (R-6)."""
        if self._is_stale(patch.last_updated, "PATCH", policy):
            return UpdateResult.IGNORED_AS_STALE
        changes = {**patch.stored_changes(), "last_updated": patch.last_updated}
        if patch.extra:
            changes["extra"] = self._merged_extra(patch.extra)
        changes = {name: value for name, value in changes.items() if self.document.get(name) != value}
        to_status = changes.pop("status", None)
        periods = self._periods_to_append(patch)
        substantive = to_status is not None or bool(periods) or bool(set(changes) - {"last_updated"})
        if not substantive and (not changes or self._is_final(policy)):
            return UpdateResult.UNCHANGED  # CH-13, R-7
        self.check_session_is_open(policy)
        if "currency" in changes:
            self.check_currency_is_unchanged(changes["currency"])
        if to_status is not None:
            check_status_may_change(self.status, to_status, policy)
        check_periods_are_chronological(self.last_period_start, periods)
        if changes:
            self._fields_patched(changes=changes)
        if periods:
            self._periods_appended(charging_periods=periods, period_count=len(self.charging_periods) + len(periods))
        if to_status is not None:
            self._status_changed(from_status=self.status, to_status=to_status)
        return UpdateResult.APPLIED

    def _periods_to_append(self, patch: SessionPatch) -> list[dict[str, Any]]:
        """The PATCH's periods, unless it repeats (same ``last_updated``) the stored tail (CH-13)."""
        periods = [period.to_stored() for period in patch.charging_periods]
        if periods and patch.last_updated == self.last_updated and self.charging_periods[-len(periods) :] == periods:
            return []
        return periods

    def _merged_extra(self, given: Mapping[str, Any]) -> str | None:
        """CH-6: unknown fields merge like the known ones; a null removes one."""
        merged = {**extra_values(self.document.get("extra")), **given}
        kept = {name: value for name, value in merged.items() if value is not None}
        return extra_text(kept) if kept else None

    @event("FieldsPatched")
    def _fields_patched(self, changes: dict[str, Any]) -> None:
        for name, value in changes.items():
            if value is None:
                self.document.pop(name, None)  # CH-10: null clears an optional field
            else:
                self.document[name] = value

    @event("PeriodsAppended")
    def _periods_appended(self, charging_periods: list[dict[str, Any]], period_count: int) -> None:
        self.charging_periods.extend(charging_periods)

    @event("StatusChanged")
    def _status_changed(self, from_status: str, to_status: str) -> None:
        self.document["status"] = to_status

    # -- stale updates (R-13) -----------------------------------------------------------------------

    def _is_stale(self, received: datetime, method: str, policy: SessionPolicy) -> bool:
        if not policy.ignore_stale_updates or received >= self.last_updated:
            return False
        self._stale_update_ignored(
            method=method, received_last_updated=received, current_last_updated=self.last_updated
        )
        return True

    @event("StaleUpdateIgnored")
    def _stale_update_ignored(
        self, method: str, received_last_updated: datetime, current_last_updated: datetime
    ) -> None:
        pass  # recorded for the auditor; the session does not change

    # -- guards ---------------------------------------------------------------------------------------

    def _is_final(self, policy: SessionPolicy) -> bool:
        return policy.final_statuses_are_terminal and self.status in FINAL_STATUSES

    def check_session_is_open(self, policy: SessionPolicy) -> None:
        """R-7, CH-14: COMPLETED and INVALID are final."""
        if self._is_final(policy):
            raise SessionFinalError(self.status)

    def check_currency_is_unchanged(self, currency: str) -> None:
        """CH-22."""
        if currency != self.document["currency"]:
            raise CurrencyChangeError(self.document["currency"], currency)

    # -- charging preferences (CH-16) ----------------------------------------------------------------

    def set_preferences(self, preferences: ChargingPreferences, now: datetime) -> str:
        """CH-16: ACCEPTED while the session is ongoing and the departure (if given) is ahead;
        NOT_POSSIBLE otherwise.  Either way the request and the answer are recorded."""
        ongoing = self.status not in FINAL_STATUSES
        reachable = preferences.departure_time is None or preferences.departure_time > now
        answer = ChargingPreferencesResponse.ACCEPTED
        if not (ongoing and reachable):
            answer = ChargingPreferencesResponse.NOT_POSSIBLE
        self._preferences_set(preferences=preferences.to_stored(), answer=answer.value, judged_at=now)
        return answer.value

    @event(PreferencesSet)
    def _preferences_set(self, preferences: dict[str, Any], answer: str, judged_at: datetime | None = None) -> None:
        self.preferences = preferences
        self.preferences_response = answer


def _differs(stored: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
    """Whether ``new`` changes anything in ``stored`` apart from ``last_updated``."""
    names = (set(stored) | set(new)) - {"last_updated"}
    return any(stored.get(name) != new.get(name) for name in names)
