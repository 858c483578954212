"""Classroom read models: one module per question a dashboard asks.

Reading order: ``memberships`` (who is in which classroom, from ``classroom.classrooms.v1``),
``live_sessions`` (the live session view and its reminders), ``attendance`` (the B.6 report),
``upcoming`` (a query over the two first), ``due`` (the reminders due, for the dispatcher).
"""
