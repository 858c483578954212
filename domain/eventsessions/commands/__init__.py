"""The event-sessions commands, one module per topic, composed by ``EventSessions`` (``application.py``).

Reading order: ``base`` (loading aggregates), ``mailing`` (templates, per-owner copies and sending:
the other commands keep the copies in step through its hooks), then ``events``, ``sessions``,
``registrations``, ``catalogues`` and ``wizard``.  Each module is a mixin over ``EventSessionsBase``;
a module that needs another's commands extends that mixin, so every call between them is typed.
"""
