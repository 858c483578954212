"""Read models: one module per question a dashboard asks, each with its tables, how each message
changes them, and its query functions.

Reading order: ``base`` (the projection protocol, per-aggregate version checks, the fold helper),
then ``events``, ``seat_availability``, ``event_dates``, ``registrations``, and ``catalogue``.
Every read model is disposable: ``rebuild`` replays the event store into it and ``verify`` compares
a scratch rebuild with the live tables, row for row.
"""
