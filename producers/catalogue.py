"""Every context's producers side in one place: message mappings, topics, and message decoders.

A new context adds one line to each tuple below (its ``mapping.MAPPING``, its ``topics.CATALOGUE``,
its ``messages.DECODERS``); the relay, the topic creation and the consumers then serve it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from producers import audit, topics
from producers.charging import mapping as charging_mapping
from producers.charging import messages as charging_messages
from producers.charging import topics as charging_topics
from producers.classroom import mapping as classroom_mapping
from producers.classroom import messages as classroom_messages
from producers.classroom import topics as classroom_topics
from producers.eventsessions import mapping as eventsessions_mapping
from producers.eventsessions import messages as eventsessions_messages
from producers.eventsessions import topics as eventsessions_topics
from producers.music import mapping as music_mapping
from producers.music import messages as music_messages
from producers.music import topics as music_topics
from producers.registry import Registry

#: Domain event -> messages, for every context.
REGISTRY = Registry(
    [
        eventsessions_mapping.MAPPING,
        charging_mapping.MAPPING,
        classroom_mapping.MAPPING,
        music_mapping.MAPPING,
    ]
)

#: Every topic the service reads or writes.
TOPICS: tuple[topics.TopicSpec, ...] = (
    *topics.SHARED,
    *audit.CATALOGUE,
    *eventsessions_topics.CATALOGUE,
    *charging_topics.CATALOGUE,
    *classroom_topics.CATALOGUE,
    *music_topics.CATALOGUE,
)

#: Domain topics too quiet for a relay process of their own (they share the first scope's).
QUIET_TOPICS: tuple[str, ...] = (
    *eventsessions_topics.QUIET_TOPICS,
    *charging_topics.QUIET_TOPICS,
    *classroom_topics.QUIET_TOPICS,
    *music_topics.QUIET_TOPICS,
)

#: Logical domain topic -> the function that parses and validates one message value from it.
DECODERS: dict[str, Callable[[bytes], Any]] = {
    **eventsessions_messages.DECODERS,
    **charging_messages.DECODERS,
    **classroom_messages.DECODERS,
    **music_messages.DECODERS,
}


#: Topic -> the pydantic model (or union) of its values, for the published schemas (``infra.asyncapi``);
#: a topic's ``TopicSpec.messages`` says it too, and a domain topic missing from both is described
#: by its decoder's return type.
MESSAGES: dict[str, Any] = {
    **eventsessions_messages.TOPIC_MESSAGES,
    **charging_messages.TOPIC_MESSAGES,
    **classroom_messages.TOPIC_MESSAGES,
    **music_messages.TOPIC_MESSAGES,
}


def decoder_for(topic: str) -> Callable[[bytes], Any]:
    """The decoder of a logical domain topic (``KeyError`` for a topic that carries no domain messages)."""
    return DECODERS[topic]


def relay_scopes() -> list[Any]:
    """The relay's scopes over every context (``producers.relay.scopes``)."""
    from producers.relay import scopes

    return scopes(REGISTRY, QUIET_TOPICS)
