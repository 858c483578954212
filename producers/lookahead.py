"""A bounded per-aggregate index of what an aggregate's later events do not carry, read ahead a batch at a time.

Some messages need a value only an aggregate's first event(s) hold: the parent event's id of an
event-sessions aggregate, the identity key of a charging session.  A ``LookaheadIndex`` remembers that
value for the ``maxsize`` aggregates remembered last (an LRU, so a relay's memory does not grow with
the store) and answers a miss from the aggregate's first event: one read each, or, with
``first_events`` while a batch is mapped, one read for every aggregate of the batch that would miss
(``ahead``, see ``producers.registry.Bound.batch``).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Container
from typing import Any, Generic, TypeVar
from uuid import UUID

from producers.registry import REMEMBER, Ahead, FirstEvents, to_look_up

V = TypeVar("V")


class LookaheadIndex(Generic[V]):
    """Each aggregate's answer (``V``), for the ``maxsize`` aggregates remembered last.

    ``answer_of(event)`` is the answer an event carries (None when it carries none); ``read_one(id)`` reads
    one aggregate's answer when nothing else has it; ``looked_up`` are the event classes whose answer may
    have to be looked up and ``carrying`` those that hold it (``producers.registry.to_look_up``).
    """

    def __init__(
        self,
        *,
        answer_of: Callable[[Any], V | None],
        read_one: Callable[[UUID], V],
        looked_up: Container[type],
        carrying: Container[type],
        maxsize: int = REMEMBER,
        first_events: FirstEvents | None = None,
    ) -> None:
        self.answer_of = answer_of
        self.read_one = read_one
        self.looked_up = looked_up
        self.carrying = carrying
        self.maxsize = maxsize
        self.first_events = first_events
        self._known: OrderedDict[UUID, V] = OrderedDict()
        self._ahead: Ahead | None = None

    def see(self, event: Any) -> None:
        """Remembers the answer ``event`` carries, if any (call it for every event, in log order)."""
        answer = self.answer_of(event)
        if answer is not None:
            self._remember(event.originator_id, answer)

    def __call__(self, aggregate_id: UUID) -> V:
        answer = self._known.get(aggregate_id)
        if answer is None and self._ahead:
            self._learn(aggregate_id)
            answer = self._known.get(aggregate_id)
        if answer is None:
            answer = self.read_one(aggregate_id)
            self._remember(aggregate_id, answer)
        return answer

    def ahead(self, batch: Ahead | None) -> None:
        """The batch being mapped (``producers.registry.Bound.batch``), read ahead on a miss."""
        if self.first_events is not None:
            self._ahead = batch

    def _learn(self, missed: UUID) -> None:
        """The answers of every aggregate of the batch that would miss, ``missed`` included, from their
        first events, in one read."""
        assert self._ahead is not None and self.first_events is not None
        batch = list(self._ahead())
        wanted = to_look_up(batch, self.looked_up, self.carrying, self._known)
        wanted.add(missed)
        for first in self.first_events(wanted):
            self.see(first)
        # Every aggregate of the batch is now among the newest, and the batch adds at most its length: with
        # ``maxsize`` at least twice a batch, none is forgotten before it is used (one read per batch).
        known = self._known
        for _, aggregate_id in batch:
            if aggregate_id in known:
                known.move_to_end(aggregate_id)

    def _remember(self, aggregate_id: UUID, answer: V) -> None:
        # A value learnt again (a charging ``Replaced``, a first event read twice) makes its aggregate the
        # newest, as a fresh one would be: the least recently remembered goes first.
        known = self._known
        if aggregate_id in known:
            known.move_to_end(aggregate_id)  # a new key goes in at the end anyway
        known[aggregate_id] = answer
        if len(known) > self.maxsize:
            known.popitem(last=False)
