"""Classroom live sessions (spec part B): classrooms and memberships, live sessions, attendance, reminders.

Reading order: ``RULES.md`` (every rule id), ``errors``, ``classroom`` (memberships), ``attendance`` (one
student's presence marks and the B.4 arithmetic, pure), ``reminders`` (the B.5 due rule, pure), ``fields``
(input checks), ``live_session`` (the aggregate and its events), ``access`` (B.3), ``views``, then the
application: ``application`` (``Classrooms``), ``presence`` and ``reminding`` (its command mixins).
"""
