"""The bounded batch-lookahead index both ``ParentIndex`` and ``IdentityIndex`` are made of: at most
``maxsize`` answers, the least recently remembered forgotten first, one ``first_events`` read per batch
that misses, and one read per aggregate outside a batch."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from producers.charging.mapping import IdentityIndex
from producers.eventsessions.mapping import ParentIndex
from producers.lookahead import LookaheadIndex
from producers.registry import ahead_of_events


@dataclass(frozen=True)
class Created:
    """A first event: it carries its aggregate's answer."""

    originator_id: UUID
    answer: str


@dataclass(frozen=True)
class Changed:
    """A later event: its answer has to be looked up."""

    originator_id: UUID


@dataclass(frozen=True)
class Unrelated:
    """An event the index never answers for (another context's)."""

    originator_id: UUID


def _id(n: int) -> UUID:
    return UUID(int=n)


class Reads:
    """The index's two ways of reading the store, counted."""

    def __init__(self) -> None:
        self.one: list[UUID] = []
        self.batches: list[set[UUID]] = []

    def read_one(self, aggregate_id: UUID) -> str:
        self.one.append(aggregate_id)
        return f"a{aggregate_id.int}"

    def first_events(self, wanted: Collection[UUID]) -> Iterable[Any]:
        self.batches.append(set(wanted))
        return [Created(i, f"a{i.int}") for i in wanted]


def _index(reads: Reads, maxsize: int, *, ahead: bool = True) -> LookaheadIndex[str]:
    return LookaheadIndex(
        answer_of=lambda event: event.answer if isinstance(event, Created) else None,
        read_one=reads.read_one,
        looked_up=frozenset({Created, Changed}),
        carrying=frozenset({Created}),
        maxsize=maxsize,
        first_events=reads.first_events if ahead else None,
    )


def test_it_remembers_at_most_maxsize_forgetting_the_least_recently_remembered_first():
    reads = Reads()
    index = _index(reads, maxsize=3)
    for n in (1, 2, 3):
        index.see(Created(_id(n), f"a{n}"))
    index.see(Created(_id(1), "a1"))  # learnt again: 1 becomes the newest, 2 the oldest
    index.see(Changed(_id(3)))  # carries nothing: changes nothing
    index.see(Created(_id(4), "a4"))

    assert list(index._known) == [_id(3), _id(1), _id(4)]
    assert [index(_id(n)) for n in (1, 3, 4)] == ["a1", "a3", "a4"] and reads.one == []


def test_outside_a_batch_a_miss_is_one_read_of_that_aggregate_then_remembered():
    reads = Reads()
    index = _index(reads, maxsize=2)

    assert [index(_id(7)), index(_id(7)), index(_id(8))] == ["a7", "a7", "a8"]
    assert reads.one == [_id(7), _id(8)] and reads.batches == []


def test_without_first_events_a_batch_is_still_read_one_aggregate_at_a_time():
    reads = Reads()
    index = _index(reads, maxsize=10, ahead=False)
    index.ahead(ahead_of_events([Changed(_id(1)), Changed(_id(2))]))

    assert [index(_id(1)), index(_id(2))] == ["a1", "a2"]
    assert reads.one == [_id(1), _id(2)] and reads.batches == []


def test_a_batch_that_misses_reads_every_answer_it_lacks_in_one_first_events_call():
    reads = Reads()
    index = _index(reads, maxsize=10)
    index.see(Created(_id(1), "a1"))
    batch: list[Created | Changed | Unrelated] = [
        Changed(_id(1)),  # known
        Changed(_id(2)),
        Created(_id(3), "a3"),  # answered by the batch itself ...
        Changed(_id(3)),  # ... before it is asked
        Unrelated(_id(4)),  # not the index's
        Changed(_id(5)),
        Changed(_id(2)),
    ]

    index.ahead(ahead_of_events(batch))
    answers = []
    for event in batch:
        index.see(event)
        if not isinstance(event, Unrelated):
            answers.append(index(event.originator_id))
    index.ahead(None)

    assert answers == ["a1", "a2", "a3", "a3", "a5", "a2"]
    assert reads.batches == [{_id(2), _id(5)}] and reads.one == []


def test_with_maxsize_twice_a_batch_each_batch_that_misses_is_one_read():
    reads, size = Reads(), 4
    index = _index(reads, maxsize=2 * size)
    # Each batch asks again for half of the one before and for half new aggregates: the known half must
    # not be forgotten while the new half is read and remembered.
    batches = [[_id(n) for n in range(size)]]
    for b in range(1, 6):
        batches.append(batches[-1][size // 2 :] + [_id(100 * b + i) for i in range(size // 2)])

    for batch in batches:
        index.ahead(ahead_of_events([Changed(i) for i in batch]))
        assert [index(i) for i in batch] == [f"a{i.int}" for i in batch]
        index.ahead(None)

    assert reads.batches == [set(batches[0])] + [set(b[size // 2 :]) for b in batches[1:]]
    assert reads.one == [] and len(index._known) <= 2 * size


def test_after_a_batch_outside_any_batch_misses_are_single_reads_again():
    reads = Reads()
    index = _index(reads, maxsize=10)
    index.ahead(ahead_of_events([Changed(_id(1))]))
    index(_id(1))
    index.ahead(None)

    index(_id(2))

    assert reads.batches == [{_id(1)}] and reads.one == [_id(2)]


def test_both_mappings_indexes_are_lookahead_indexes():
    class Repository:
        def get(self, aggregate_id: UUID, version: int) -> Any:
            raise AssertionError("not read")

    assert isinstance(ParentIndex(Repository()), LookaheadIndex)
    assert isinstance(IdentityIndex(Repository(), maxsize=3), LookaheadIndex)
    assert IdentityIndex(Repository(), maxsize=3).maxsize == 3
