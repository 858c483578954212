"""Topic naming shared by every context: physical names, outcome and dead-letter topics.

Each context lists its own topics in ``producers/<context>/topics.py``; ``producers.catalogue``
gathers them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from producers.notifications import OutgoingNotification

#: Notifications of every context, for a mailer to deliver (keyed by the notification's subject).
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
    #: The pydantic model (or union) of its values, for the published schemas; domain topics may leave
    #: it to ``producers.catalogue`` (their decoders), dead-letter topics carry the original bytes.
    messages: Any = None
    #: Topic configuration at creation (``(("retention.ms", "-1"),)``).
    config: tuple[tuple[str, str], ...] = ()


SHARED: tuple[TopicSpec, ...] = (
    TopicSpec(NOTIFICATIONS_OUTGOING, "subject id", "notifications for a mailer to deliver", OutgoingNotification),
)


def physical(name: str, prefix: str) -> str:
    """The broker's topic name: the instance's prefix lets two instances share one broker."""
    return f"{prefix}{name}"
