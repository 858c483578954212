"""Read models of the music context, one module per question they answer:

- ``instances``: the instances of each session, with their dates, times and ``is_active`` flag
  (``GET /music/sessions/{id}/instances?from=&to=``);
- ``tune_log``: each instance's tune log, entry by entry, in order, with ``set_index`` at query time;
- ``popular_tunes``: how often each tune was played at a session, per instance, for
  ``GET /music/sessions/{id}/tunes/popular?from=&to=``.

All three read ``music.instances.v1`` (key = instance id): an instance's tune log travels with it, so
per-key order is all they need.  ``log_state`` applies tune-log messages to an in-memory log (shared by
``tune_log`` and ``popular_tunes``).
"""
