"""The event-sessions topics: their logical names, keys and what they carry.

Keys are chosen so each read model can be built from per-key order alone: everything of the
event-sessions context is keyed by the parent event's id, so a parent's sessions and registrations
stay in one partition, in the order they were recorded.
"""

from __future__ import annotations

from producers.topics import TopicSpec, dead_letter_topic, outcomes_topic

EVENTS = "eventsessions.events.v1"
SESSIONS = "eventsessions.sessions.v1"
REGISTRATIONS = "eventsessions.registrations.v1"
MAIL = "eventsessions.mail.v1"
CATALOGUES = "eventsessions.catalogues.v1"
#: Every topic the relay publishes event-session messages on.
DOMAIN_TOPICS = (EVENTS, SESSIONS, REGISTRATIONS, MAIL, CATALOGUES)
INBOUND_REGISTRATIONS = "inbound.registrations.v1"
#: Too quiet for a relay process of their own: they share the first scope's.
QUIET_TOPICS = (CATALOGUES,)

CATALOGUE: tuple[TopicSpec, ...] = (
    TopicSpec(EVENTS, "parent event id", "ParentEvent events"),
    TopicSpec(SESSIONS, "parent event id", "Session events"),
    TopicSpec(REGISTRATIONS, "parent event id", "Registration events"),
    TopicSpec(MAIL, "parent event id", "MailTemplate (templates) and MailSchedule (per-owner copies) events"),
    TopicSpec(CATALOGUES, "event type or catalogue id", "EventType and TimeslotCatalogue events"),
    TopicSpec(INBOUND_REGISTRATIONS, "registration or event id", "upstream registration requests"),
    TopicSpec(outcomes_topic(INBOUND_REGISTRATIONS), "same as the request", "one outcome per request"),
    TopicSpec(dead_letter_topic(INBOUND_REGISTRATIONS), "same as the request", "undecodable requests"),
    TopicSpec(dead_letter_topic(EVENTS), "same as the record", "undecodable domain records"),
    TopicSpec(dead_letter_topic(SESSIONS), "same as the record", "undecodable domain records"),
    TopicSpec(dead_letter_topic(REGISTRATIONS), "same as the record", "undecodable domain records"),
    TopicSpec(dead_letter_topic(MAIL), "same as the record", "undecodable domain records"),
)
