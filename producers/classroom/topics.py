"""The classroom topics: their logical names, keys and what they carry.

Keys keep what must stay ordered in one partition: every event of a live session (its lifecycle,
attendance and reminders) is keyed by the live session's id, every membership change by its
classroom's id, and a video platform's webhooks by their room (= the live session's id), so one
lesson's joins and leaves are applied in the order the platform sent them.
"""

from __future__ import annotations

from producers.topics import TopicSpec, dead_letter_topic, outcomes_topic

LIVE_SESSIONS = "classroom.live-sessions.v1"
CLASSROOMS = "classroom.classrooms.v1"
#: Every topic the relay publishes classroom domain messages on.
DOMAIN_TOPICS = (LIVE_SESSIONS, CLASSROOMS)
INBOUND_PRESENCE = "inbound.presence.v1"
#: Too quiet for a relay process of their own (membership changes): they share the first scope's.
QUIET_TOPICS = (CLASSROOMS,)

CATALOGUE: tuple[TopicSpec, ...] = (
    TopicSpec(LIVE_SESSIONS, "live session id", "LiveSession events: lifecycle, attendance, reminders"),
    TopicSpec(CLASSROOMS, "classroom id", "Classroom events: creation and membership changes"),
    TopicSpec(INBOUND_PRESENCE, "room (live session id)", "a video platform's presence webhooks"),
    TopicSpec(outcomes_topic(INBOUND_PRESENCE), "same as the webhook", "one outcome per webhook"),
    TopicSpec(dead_letter_topic(INBOUND_PRESENCE), "same as the webhook", "undecodable webhooks"),
    TopicSpec(dead_letter_topic(LIVE_SESSIONS), "same as the record", "undecodable domain records"),
    TopicSpec(dead_letter_topic(CLASSROOMS), "same as the record", "undecodable domain records"),
)
