"""The charging application: the receiver's PUT and PATCH, the sender's charging preferences, and
write-side reads of one session (the receiver's GET reflects every answered PUT and PATCH).

Commands take values ``validation`` built (typed, version-neutral) plus the identity in the URL.
The caller's party is checked before a command (``identity.check_party_may_push``, R-2).  A PUT is a
create-or-replace on a fixed id (CH-1), so it retries on a version conflict instead of using
``create_once``: the loser of two racing first PUTs runs again as a replace.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import InfrastructureFactory
from eventsourcing.utils import Environment

from domain.charging.errors import UnknownSessionError
from domain.charging.identity import check_identity_matches, session_aggregate_id
from domain.charging.rendering import render_session
from domain.charging.session import ChargingSession, SessionPolicy, UpdateResult
from domain.charging.values import ChargingPreferences, SessionObject, SessionPatch
from domain.charging.vocabulary import OcpiVersion
from domain.shared.application import ContextApplication
from domain.shared.clock import Clock

#: CH-17: settings of the two policy flags (values: the first is the default).
STALE_UPDATES_SETTING = "CHARGING_STALE_UPDATES"  # "ignore" | "apply"
FINAL_STATUSES_SETTING = "CHARGING_FINAL_STATUSES"  # "terminal" | "open"


@dataclass(frozen=True)
class PushOutcome:
    """What a PUT or PATCH did: HTTP 201 when ``created``, else 200; OCPI 1000 in every case."""

    id: UUID
    version: int
    created: bool
    result: UpdateResult


@dataclass(frozen=True)
class PreferencesOutcome:
    id: UUID
    version: int
    response: str  # a ChargingPreferencesResponse value, the response's ``data`` (D15)


@dataclass(frozen=True)
class SessionView:
    """One stored session as the write side holds it."""

    id: UUID
    version: int
    stored: Mapping[str, Any]

    def render(self, version: OcpiVersion | str) -> dict[str, Any]:
        return render_session(self.stored, version)


def policy_from_env(env: Environment | Mapping[str, str]) -> SessionPolicy:
    stale = (env.get(STALE_UPDATES_SETTING) or "ignore").lower()
    final = (env.get(FINAL_STATUSES_SETTING) or "terminal").lower()
    if stale not in ("ignore", "apply") or final not in ("terminal", "open"):
        raise ValueError(f"{STALE_UPDATES_SETTING} must be ignore or apply, {FINAL_STATUSES_SETTING} terminal or open")
    return SessionPolicy(ignore_stale_updates=stale == "ignore", final_statuses_are_terminal=final == "terminal")


class ChargingSessions(ContextApplication):
    """OCPI charging sessions, one ``ChargingSession`` aggregate per identity."""

    context = "charging"
    #: CH-20: a cold load replays at most 100 events after a snapshot.
    snapshotting_intervals = {ChargingSession: 100}

    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        clock: Clock | None = None,
        factory: InfrastructureFactory | None = None,
    ) -> None:
        super().__init__(env=env, clock=clock, factory=factory)
        self.policy = policy_from_env(self.env)

    # -- loading -------------------------------------------------------------------------------------

    def _find(self, aggregate_id: UUID) -> ChargingSession | None:
        try:
            aggregate: Aggregate = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None
        return aggregate if isinstance(aggregate, ChargingSession) else None

    def _load(self, country_code: str, party_id: str, session_id: str) -> ChargingSession:
        aggregate = self._find(session_aggregate_id(country_code, party_id, session_id))
        if aggregate is None:
            raise UnknownSessionError()
        return aggregate

    def _save_if_changed(self, aggregate: ChargingSession) -> None:
        if aggregate.pending_events:
            self.save(aggregate)

    # -- the receiver (eMSP) -------------------------------------------------------------------------

    def put_session(self, country_code: str, party_id: str, session_id: str, session: SessionObject) -> PushOutcome:
        """Creates or replaces the session the URL names (R-2, R-3, R-13)."""
        check_identity_matches(
            country_code, party_id, session_id,
            {"country_code": session.country_code, "party_id": session.party_id, "id": session.id},
        )  # fmt: skip
        aggregate_id = session_aggregate_id(country_code, party_id, session_id)

        def attempt() -> PushOutcome:
            existing = self._find(aggregate_id)
            if existing is None:
                created = ChargingSession.create(session)
                self.save(created)
                return PushOutcome(created.id, created.version, True, UpdateResult.APPLIED)
            result = existing.replace(session, self.policy)
            self._save_if_changed(existing)
            return PushOutcome(existing.id, existing.version, False, result)

        return self.retrying(attempt)

    def patch_session(self, country_code: str, party_id: str, session_id: str, patch: SessionPatch) -> PushOutcome:
        """Merges a PATCH into the session the URL names (R-4..R-6, R-13), else ``UnknownSessionError``."""
        check_identity_matches(country_code, party_id, session_id, dict(patch.identity))
        return self._update(country_code, party_id, session_id, lambda s: s.patch(patch, self.policy))

    def _update(
        self,
        country_code: str,
        party_id: str,
        session_id: str,
        decide: Callable[[ChargingSession], UpdateResult],
    ) -> PushOutcome:
        def attempt() -> PushOutcome:
            aggregate = self._load(country_code, party_id, session_id)
            result = decide(aggregate)
            self._save_if_changed(aggregate)
            return PushOutcome(aggregate.id, aggregate.version, False, result)

        return self.retrying(attempt)

    def get_session(self, country_code: str, party_id: str, session_id: str) -> SessionView:
        """The session as stored now (``UnknownSessionError`` if there is none)."""
        aggregate = self._load(country_code, party_id, session_id)
        return SessionView(aggregate.id, aggregate.version, aggregate.stored())

    # -- the sender (CPO) ----------------------------------------------------------------------------

    def set_charging_preferences(
        self, country_code: str, party_id: str, session_id: str, preferences: ChargingPreferences
    ) -> PreferencesOutcome:
        """CH-16: records the driver's preferences and answers a ChargingPreferencesResponse (D15)."""

        def attempt() -> PreferencesOutcome:
            aggregate = self._load(country_code, party_id, session_id)
            response = aggregate.set_preferences(preferences, self.clock.now())
            self.save(aggregate)
            return PreferencesOutcome(aggregate.id, aggregate.version, response)

        return self.retrying(attempt)
