"""The write side: one package per context (aggregates, their events and errors, the application).

Reading order: ``shared`` (clock, error root), then ``eventsessions`` (``seats``, ``parent_event``,
``session``, ``registration``, ``application``).  Nothing here knows Kafka, HTTP or read models.
"""
