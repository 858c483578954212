"""HTTP routers of the music context (``api/music.md``; ``ROUTERS``, in the order they are mounted).

Where each read comes from, and why:

- From the aggregates (write side), exact at once: a session (``GET /music/sessions/{id}``, ``?path=``,
  whose uniqueness lives in the path index aggregate), its occurrences (a pure expansion of the
  session's settings), one instance with ``is_active``, the session's active instances (the session
  keeps that list, saved with every flag change), and an instance's tune log.  Each is one or a few
  snapshotted, cached aggregates, and clients read them right after their own commands (an edited
  session, a tick, a tune move whose ``set_index`` they re-render), so read-your-writes matters more
  than offloading.  They accept ``min_version`` for uniformity; the write side always has it.
- From read models (``projections/music``), trailing by milliseconds: the instances of a session over
  a date range (one indexed query instead of one load per instance) and the popular-tunes dashboard
  (an aggregation over every instance of a session).  Lists take no ``min_version`` (conventions).
"""

from __future__ import annotations

from infra.api.music import dashboard, instances, sessions, tunes

ROUTERS = (sessions.router, instances.router, tunes.router, dashboard.router)
