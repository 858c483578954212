"""The path index: one aggregate per normalised session path, whose id is a uuid5 of that path (MU-2).

Invariants:
- At most one session holds a path: a new session or a path change creates (or reclaims) the index
  aggregate in the same save as the session, so two sessions racing for one path conflict on it.
- A released path (the session moved to another path) can be claimed again.

Events (internal to the write side; no read model needs them): ``Claimed{path, session_id}``,
``Reclaimed{session_id}``, ``Released{session_id}``.
"""

from __future__ import annotations

from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

#: The namespace of path index ids.
PATH_NAMESPACE = uuid5(UUID("6ba7b811-9dad-11d1-80b4-00c04fd430c8"), "sessionstream:music:session-path")


def normalise_path(path: str) -> str:
    """MU-1: surrounding blanks and slashes dropped, case folded: ``/Dublin-Trad/`` is ``dublin-trad``."""
    return path.strip().strip("/").strip().casefold()


def path_index_id(path: str) -> UUID:
    return uuid5(PATH_NAMESPACE, normalise_path(path))


class SessionPath(Aggregate):
    @event("Claimed")
    def __init__(self, *, id: UUID, path: str, session_id: UUID) -> None:  # noqa: A002
        self.path = path
        self.session_id: UUID | None = session_id

    @classmethod
    def for_path(cls, path: str, session_id: UUID) -> SessionPath:
        return cls(id=path_index_id(path), path=normalise_path(path), session_id=session_id)

    def is_free_for(self, session_id: UUID) -> bool:
        return self.session_id is None or self.session_id == session_id

    @event("Reclaimed")
    def reclaim(self, session_id: UUID) -> None:
        self.session_id = session_id

    @event("Released")
    def release(self, session_id: UUID) -> None:
        self.session_id = None
