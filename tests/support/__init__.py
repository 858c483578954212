"""What the tests share: waiting, the database and the topics of a test container, fakes.

- ``waiting``: ``wait_for`` (poll until true, fail with the last value).
- ``database``: a fresh database per container, ``read_row``.
- ``kafka``: ``all_records`` of a topic, ``TopicReader`` (an independent reader), ``send``,
  ``CapturingSender`` (a relay's sender and position that only records what it would publish).
- ``service``: the API tokens of the test service, child processes with the container's settings.
- ``eventsessions``: scenarios that exercise the event-sessions application.
"""
