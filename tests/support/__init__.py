"""What the tests share: waiting, the database and the topics of a test container, fakes.

- ``waiting``: ``wait_for`` (poll until true, fail with the last value).
- ``database``: a fresh database per container, ``read_row``.
- ``kafka``: ``all_records`` of a topic, ``TopicReader`` (an independent reader), ``send``,
  ``CapturingSender`` (a relay's sender and position that only records what it would publish).
- ``service``: the API tokens of the test service, child processes with the container's settings.
- ``fakes``: a container of tripwires, an application answering what a test says, a dead pool.
- ``projections``: read models fed messages directly on a scratch schema (no Kafka).
- ``crash``: a lock gate that stops a worker at a known point, and killing a process group.
- ``http``: ``assert_problem``.
- ``eventsessions``: scenarios that exercise the event-sessions application.
"""
