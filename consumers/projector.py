"""A read model behind the consumer runner: decode, drop duplicates, apply, in the runner's transaction."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from psycopg import Cursor

from consumers.dead_letters import DeadLetter
from consumers.error_policy import Action, classify
from producers.catalogue import decoder_for
from producers.messages import Message
from producers.topics import physical
from projections.base import Projection, lock_projection, track_versions


class Projector:
    def __init__(self, projection: Projection, topic_prefix: str = "") -> None:
        self.projection = projection
        self.group = f"{topic_prefix}sessionstream.projection.{projection.name}"
        self.topics: Sequence[str] = tuple(physical(t, topic_prefix) for t in projection.topics)
        # Each topic has its own message types: a record is decoded by its topic's decoder.
        self.decoders = {physical(t, topic_prefix): decoder_for(t) for t in projection.topics}

    def handle(self, cur: Cursor[Any], records: Sequence[Any]) -> list[DeadLetter]:
        messages: list[Message] = []
        dead: list[DeadLetter] = []
        for record in records:
            try:
                messages.append(self.decoders[record.topic](record.value))
            except Exception as error:
                if classify(error) is not Action.DEAD_LETTER:
                    raise
                dead.append(DeadLetter.of(record, error))
        lock_projection(cur, self.projection.name)
        new, _gaps = track_versions(cur, self.projection.name, messages)
        if new:
            self.projection.apply(cur, new)
        return dead
