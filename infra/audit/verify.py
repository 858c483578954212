"""``sessionstream audit verify``: recompute the chain from the stored events and compare.

Three witnesses, walked together in log order: the events as stored now, the sealed chain
(``public.audit_chain``), and the checkpoints on ``audit.checkpoints.v1`` (read first, so any
checkpoint names a link that was committed before the walk's snapshot).  The first position where
they disagree is reported with what differs:

- a sealed position whose event is gone: the event was deleted;
- a stored event at or below the sealed head that was never sealed: it was inserted behind the
  application's back (sealing never passes over an id that may still appear: ``infra.audit.sealer``);
- a recomputed hash that differs from the sealed one: the event's bytes were changed;
- a recomputed hash that differs from a checkpoint although the sealed chain agrees: the events and
  the chain table were both rewritten (only a copy outside PostgreSQL can tell);
- a checkpoint beyond the sealed head: sealed links were removed.

Events after the sealed head are not sealed yet; they are counted, not judged.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from psycopg import sql
from psycopg.rows import tuple_row

from infra.audit.chain import TABLE as CHAIN_TABLE
from producers.audit import GENESIS, ChainCheckpoint, canonical, decode_checkpoint

Progress = Callable[[int, int], None]  # (events walked in this batch, position)


@dataclass(frozen=True)
class Finding:
    position: int
    what: str


@dataclass(frozen=True)
class Report:
    events: int  # events whose recomputed hash matched
    head: int  # the sealed head's position when the walk began
    checkpoints: int  # checkpoints that matched
    unsealed: int  # events after the head, not sealed yet
    finding: Finding | None = None

    @property
    def intact(self) -> bool:
        return self.finding is None

    def summary(self) -> str:
        if self.finding is None:
            return f"{self.events} events verified, chain intact up to position {self.head}"
        return f"chain broken at position {self.finding.position}: {self.finding.what}"


def read_checkpoints(bootstrap: str, topic: str, log: str) -> list[ChainCheckpoint]:
    """Every checkpoint of ``log`` on the (physical) checkpoints topic."""
    from infra.kafka import read_topic

    key = log.encode()
    return [decode_checkpoint(r.value) for r in read_topic(bootstrap, topic) if r.key == key]


def verify(app: Any, checkpoints: Iterable[ChainCheckpoint], progress: Progress | None = None) -> Report:
    """Walks the store and the chain in one snapshot (see the module docstring)."""
    recorder = app.recorder
    events = sql.Identifier(recorder.datastore.schema, recorder.events_table_name)
    by_position: dict[int, list[str]] = {}
    for c in checkpoints:
        by_position.setdefault(c.position, []).append(c.hash)
    with recorder.datastore.get_connection() as conn, conn.transaction():
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        plain = conn.cursor(row_factory=tuple_row)
        found = plain.execute(f"SELECT coalesce(max(position), 0) FROM {CHAIN_TABLE}").fetchone()
        head = int(found[0]) if found else 0
        unsealed = int(plain.execute(
            sql.SQL("SELECT count(*) FROM {} WHERE notification_id > %s").format(events), (head,)
        ).fetchone()[0])  # type: ignore[index]  # fmt: skip
        walk = _Walk(by_position, head, unsealed)
        with conn.cursor(name="sessionstream_audit_verify", row_factory=tuple_row, binary=True) as cur:
            cur.execute(sql.SQL(
                "SELECT coalesce(e.notification_id, c.position), e.originator_id, e.originator_version, e.topic,"
                " e.state, c.hash FROM (SELECT * FROM {events} WHERE notification_id <= %(h)s) e"
                " FULL JOIN (SELECT * FROM {chain} WHERE position <= %(h)s) c ON c.position = e.notification_id"
                " ORDER BY 1"
            ).format(events=events, chain=sql.SQL(CHAIN_TABLE)), {"h": head})  # fmt: skip
            while walk.finding is None and (rows := cur.fetchmany(10_000)):
                walk.feed(rows)
                if progress:
                    progress(len(rows), rows[-1][0])
    return walk.report()


class _Walk:
    def __init__(self, checkpoints: dict[int, list[str]], head: int, unsealed: int) -> None:
        self.checkpoints = checkpoints
        self.head = head
        self.unsealed = unsealed
        self.previous = GENESIS
        self.events = 0
        self.matched = 0
        self.last_good_checkpoint = 0
        self.seen: set[int] = set()
        self.finding: Finding | None = None

    def feed(self, rows: list[tuple[Any, ...]]) -> None:
        sha256 = hashlib.sha256
        for position, aggregate_id, version, topic, state, sealed in rows:
            if state is None:
                self._found(position, "the event sealed here is missing from the store (deleted)")
                return
            digest = sha256(self.previous + canonical(aggregate_id, version, topic, bytes(state))).digest()
            if sealed is None:
                self._found(position, f"the stored event {aggregate_id} v{version} ({topic}) was never sealed:"
                                      " inserted behind the application's back")  # fmt: skip
                return
            if digest != bytes(sealed):
                self._found(position, f"the stored event {aggregate_id} v{version} differs from what was sealed"
                                      f" (recomputed hash {digest.hex()}, sealed {bytes(sealed).hex()})")  # fmt: skip
                return
            for published in self.checkpoints.get(position, ()):
                if published != digest.hex():
                    self._found(position, f"the checkpoint published on Kafka says {published}, the recomputed"
                                          f" and sealed chains say {digest.hex()}: events after position"
                                          f" {self.last_good_checkpoint} (the last matching checkpoint) were"
                                          " rewritten, and the chain table with them")  # fmt: skip
                    return
            if position in self.checkpoints:
                self.matched += len(self.checkpoints[position])
                self.last_good_checkpoint = position
                self.seen.add(position)
            self.previous = digest
            self.events += 1

    def _found(self, position: int, what: str) -> None:
        self.finding = Finding(position, what)

    def report(self) -> Report:
        unseen = sorted(set(self.checkpoints) - self.seen)
        if self.finding is None and unseen:
            first = unseen[0]
            if first > self.head:
                self._found(first, f"a checkpoint names position {first}, beyond the sealed head {self.head}:"
                                   " sealed links were removed")  # fmt: skip
            else:
                self._found(first, f"a checkpoint names position {first}, which is neither stored nor sealed")
        return Report(self.events, self.head, self.matched, self.unsealed, self.finding)
