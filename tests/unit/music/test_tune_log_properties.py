"""Property: any sequence of tune-log commands keeps the log well formed (A.6, MU-33).

After every command: order numbers strictly increase, the first entry opens a set, ``set_index``
starts at 0 and grows by one exactly at each entry with ``continues_set=false``, every entry has a
tune_id or a name, and the live entries are exactly those added and not removed.  At the end, the
instance rebuilt from its stored events shows the same log.
"""

from __future__ import annotations

import contextlib
from datetime import date, datetime, timezone
from itertools import pairwise
from uuid import UUID

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.music.application import MusicSessions
from domain.music.errors import TuneMoveRefusedError
from domain.music.instance import SessionInstance
from domain.music.tunelog import After, Before, TuneSpec
from domain.shared.clock import FrozenClock

operations = st.lists(
    st.one_of(
        st.tuples(st.just("add_end"), st.booleans()),
        st.tuples(st.sampled_from(["add_after", "add_before"]), st.integers(0, 50), st.booleans()),
        st.tuples(st.just("remove"), st.integers(0, 50)),
        st.tuples(st.just("move"), st.integers(0, 50), st.sampled_from(["left", "right"])),
        st.tuples(st.just("move_set"), st.integers(0, 50), st.sampled_from(["up", "down"])),
        st.tuples(st.just("replace"), st.lists(st.integers(0, 3), max_size=3)),
    ),
    max_size=40,
)


def check_well_formed(log) -> None:
    assert all(a.order_number < b.order_number for a, b in pairwise(log))
    if log:
        assert log[0].continues_set is False and log[0].set_index == 0
    for previous, entry in pairwise(log):
        assert entry.set_index == previous.set_index + (0 if entry.continues_set else 1)
    assert all(entry.tune_id is not None or entry.name for entry in log)


@settings(max_examples=60, deadline=None)
@given(operations)
def test_A6_any_sequence_of_commands_keeps_the_log_well_formed(ops):
    app = MusicSessions(env={"PERSISTENCE_MODULE": "eventsourcing.popo"},
                        clock=FrozenClock(datetime(2025, 6, 2, tzinfo=timezone.utc)))  # fmt: skip
    session_id = app.create_session(name="Trad", path="trad").id
    instance_id = app.create_instance(session_id, date=date(2025, 6, 5)).id
    known: list[UUID] = []  # every entry id ever added, live or removed
    live: set[UUID] = set()
    for n, op in enumerate(ops):
        kind = op[0]
        if kind == "add_end":
            live.add(app.add_tune(instance_id, name=f"T{n}", continues_set=op[1]).entry_id)
        elif kind in ("add_after", "add_before") and known:
            reference = known[op[1] % len(known)]
            position = After(reference) if kind == "add_after" else Before(reference)
            live.add(app.add_tune(instance_id, name=f"T{n}", position=position, continues_set=op[2]).entry_id)
        elif kind == "remove" and known:
            target = known[op[1] % len(known)]
            app.remove_tune(instance_id, target)
            live.discard(target)
        elif kind in ("move", "move_set") and live:
            target = sorted(live)[op[1] % len(live)]
            with contextlib.suppress(TuneMoveRefusedError):
                (app.move_tune if kind == "move" else app.move_set)(instance_id, target, op[2])
        elif kind == "replace":
            app.replace_tunes(instance_id, [[TuneSpec(name=f"R{n}.{i}") for i in range(size)] for size in op[1]])
            live = {entry.id for entry in app.tune_log(instance_id)}
        else:
            continue
        known = list(dict.fromkeys([*known, *live]))
        log = app.tune_log(instance_id)
        check_well_formed(log)
        assert {entry.id for entry in log} == live

    rebuilt = app.repository.get(instance_id, version=app.instance_view(instance_id).version)
    assert isinstance(rebuilt, SessionInstance)
    assert rebuilt.tune_log() == app.tune_log(instance_id)
