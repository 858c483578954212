"""The topic catalogue: every topic's logical name, its key, and what it carries.

Keys are chosen so each read model can be built from per-key order alone: everything of the
event-sessions context is keyed by the parent event's id, so a parent's sessions and registrations
stay in one partition, in the order they were recorded.
"""

from __future__ import annotations

from dataclasses import dataclass

EVENTS = "eventsessions.events.v1"
SESSIONS = "eventsessions.sessions.v1"
REGISTRATIONS = "eventsessions.registrations.v1"
MAIL = "eventsessions.mail.v1"
CATALOGUES = "eventsessions.catalogues.v1"
#: Every topic the relay publishes domain messages on.
DOMAIN_TOPICS = (EVENTS, SESSIONS, REGISTRATIONS, MAIL, CATALOGUES)
INBOUND_REGISTRATIONS = "inbound.registrations.v1"
NOTIFICATIONS_OUTGOING = "notifications.outgoing.v1"


def outcomes_topic(topic: str) -> str:
    return f"{topic}.outcomes"


def dead_letter_topic(topic: str) -> str:
    return f"{topic}.DLT"


@dataclass(frozen=True)
class TopicSpec:
    name: str
    key: str
    carries: str


CATALOGUE: tuple[TopicSpec, ...] = (
    TopicSpec(EVENTS, "parent event id", "ParentEvent events"),
    TopicSpec(SESSIONS, "parent event id", "Session events"),
    TopicSpec(REGISTRATIONS, "parent event id", "Registration events"),
    TopicSpec(MAIL, "parent event id", "MailScheduler (templates) and MailSchedule (per-owner copies) events"),
    TopicSpec(CATALOGUES, "event type or catalogue id", "EventType and TimeslotCatalogue events"),
    TopicSpec(INBOUND_REGISTRATIONS, "registration or event id", "upstream registration requests"),
    TopicSpec(outcomes_topic(INBOUND_REGISTRATIONS), "same as the request", "one outcome per request"),
    TopicSpec(dead_letter_topic(INBOUND_REGISTRATIONS), "same as the request", "undecodable requests"),
    TopicSpec(dead_letter_topic(EVENTS), "same as the record", "undecodable domain records"),
    TopicSpec(dead_letter_topic(SESSIONS), "same as the record", "undecodable domain records"),
    TopicSpec(dead_letter_topic(REGISTRATIONS), "same as the record", "undecodable domain records"),
    TopicSpec(dead_letter_topic(MAIL), "same as the record", "undecodable domain records"),
    TopicSpec(NOTIFICATIONS_OUTGOING, "subject id", "notifications for a mailer to deliver"),
)


def physical(name: str, prefix: str) -> str:
    """The broker's topic name: the instance's prefix lets two instances share one broker."""
    return f"{prefix}{name}"
