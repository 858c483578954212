"""The charging topics: their logical names, keys and what they carry.

Every message of one charging session is keyed by the session's identity text (``session_key``): the
identity ``(country_code, party_id, id)`` lower-cased and written as a compact JSON array,
``["nl","stk","101"]`` (CH-1's name of the aggregate id, so no choice of characters can make two
identities share a key).  One session's messages therefore stay in one partition, in order, which is
all the charging read models need.  Upstream operators publishing to the inbound topic key their
requests the same way, so that one session's requests are processed in the order they were sent.
"""

from __future__ import annotations

from domain.charging.identity import session_key as session_key  # the key of every charging message
from producers.topics import TopicSpec, dead_letter_topic, outcomes_topic

SESSIONS = "charging.sessions.v1"
INBOUND_OCPI_SESSIONS = "inbound.ocpi-sessions.v1"
#: Every topic the relay publishes charging messages on.
DOMAIN_TOPICS = (SESSIONS,)
#: Busy enough for a relay process of its own.
QUIET_TOPICS: tuple[str, ...] = ()

CATALOGUE: tuple[TopicSpec, ...] = (
    TopicSpec(SESSIONS, 'session identity text ["cc","pid","id"] (lower-cased)', "ChargingSession events"),
    TopicSpec(INBOUND_OCPI_SESSIONS, "session identity text, as the domain topic", "OCPI session PUT/PATCH requests"),
    TopicSpec(outcomes_topic(INBOUND_OCPI_SESSIONS), "same as the request", "one outcome per request"),
    TopicSpec(dead_letter_topic(INBOUND_OCPI_SESSIONS), "same as the request", "undecodable requests"),
    TopicSpec(dead_letter_topic(SESSIONS), "same as the record", "undecodable domain records"),
)
