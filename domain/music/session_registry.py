"""The registry of every music session: what the clock-driven passes (auto-create, active window) walk
(MU-3).  Events (internal): ``Started{}``, ``SessionRegistered{session_id}``.

Invariants:
- One aggregate (a fixed id); each session is registered once, in the same save as its creation.
"""

from __future__ import annotations

from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.music.session_path import PATH_NAMESPACE
from domain.shared.copying import FlatStateCopy

REGISTRY_ID = uuid5(PATH_NAMESPACE, "registry")


class SessionRegistry(FlatStateCopy, Aggregate):
    @event("Started")
    def __init__(self, *, id: UUID) -> None:  # noqa: A002
        self.session_ids: list[UUID] = []

    @classmethod
    def start(cls) -> SessionRegistry:
        return cls(id=REGISTRY_ID)

    @event("SessionRegistered")
    def register(self, session_id: UUID) -> None:
        self.session_ids.append(session_id)
