"""The music topics: their logical names, keys and what they carry (``api/music.md``).

- ``music.sessions.v1`` (key = session id): the recurring sessions, and the write side's index
  aggregates (the path index and the registry of sessions), keyed by the session they name, so a
  session's creation and its path claim, saved in one transaction, stay in one partition in order.
- ``music.instances.v1`` (key = instance id): the instances and their tune logs (the tune log lives in
  the instance aggregate), so every read model of an instance is built from per-key order alone.
- ``inbound.tunelog.v1`` (key = instance id): tune-log commands from offline logging apps; one outcome
  per message on ``.outcomes``, undecodable ones on ``.DLT``.
"""

from __future__ import annotations

from producers.topics import TopicSpec, dead_letter_topic, outcomes_topic

SESSIONS = "music.sessions.v1"
INSTANCES = "music.instances.v1"
#: Every topic the relay publishes music messages on.
DOMAIN_TOPICS = (SESSIONS, INSTANCES)
INBOUND_TUNELOG = "inbound.tunelog.v1"
#: Sessions change rarely (settings, and one bookkeeping event per instance created or (de)activated):
#: they share the first relay scope's process instead of waking a process of their own on every commit.
QUIET_TOPICS = (SESSIONS,)

CATALOGUE: tuple[TopicSpec, ...] = (
    TopicSpec(SESSIONS, "session id", "Session events, and the SessionPath / SessionRegistry index events"),
    TopicSpec(INSTANCES, "instance id", "SessionInstance events, tune-log events included"),
    TopicSpec(INBOUND_TUNELOG, "instance id", "tune-log commands from logging apps (offline queues)"),
    TopicSpec(outcomes_topic(INBOUND_TUNELOG), "same as the request", "one outcome per request"),
    TopicSpec(dead_letter_topic(INBOUND_TUNELOG), "same as the request", "undecodable requests"),
    TopicSpec(dead_letter_topic(SESSIONS), "same as the record", "undecodable domain records"),
    TopicSpec(dead_letter_topic(INSTANCES), "same as the record", "undecodable domain records"),
)
