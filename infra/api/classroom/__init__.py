"""HTTP routers of the classroom context (``ROUTERS``, in the order they are mounted).

``reads`` is mounted before ``live_sessions`` so that ``GET /live-sessions/upcoming`` is matched
before ``GET /live-sessions/{id}`` could take ``upcoming`` for an id.
"""

from __future__ import annotations

from infra.api.classroom import classrooms, live_sessions, reads

ROUTERS = (classrooms.router, reads.router, live_sessions.router)
