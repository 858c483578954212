"""Topic naming shared by every context: physical names, outcome and dead-letter topics.

Each context lists its own topics in ``producers/<context>/topics.py``; ``producers.catalogue``
gathers them.
"""

from __future__ import annotations

from dataclasses import dataclass

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


SHARED: tuple[TopicSpec, ...] = (
    TopicSpec(NOTIFICATIONS_OUTGOING, "subject id", "notifications for a mailer to deliver"),
)


def physical(name: str, prefix: str) -> str:
    """The broker's topic name: the instance's prefix lets two instances share one broker."""
    return f"{prefix}{name}"
