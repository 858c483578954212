"""Music sessions (ceol.io): recurring sessions in pubs, their dated instances, and the tunes played.

Reading order: ``RULES.md`` (every rule id cited here), ``errors``, ``patterns`` (the canonical
recurrence JSON) and ``legacy`` (its upcaster), ``schedule`` (expansion on ``domain.shared.recurrence``,
the active window, auto-create planning), ``tunelog`` (ordering rules of the tune log), the aggregates
``session``, ``session_path``, ``session_registry``, ``instance``, then ``commands/`` (base, sessions,
instances, tunes, jobs) and ``application`` (``MusicSessions``).
"""
