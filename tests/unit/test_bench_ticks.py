"""The benchmark's CPU accounting (``infra.bench.seal_lag``): machine and process clock ticks."""

from __future__ import annotations

import os
import time

from infra.bench.seal_lag import machine_ticks, process_ticks


def test_busy_ticks_grow_with_work_and_stay_within_the_total():
    (busy0, total0), mine0 = machine_ticks(), process_ticks(os.getpid())
    deadline = time.process_time() + 0.2
    while time.process_time() < deadline:  # 0.2 s of this process's CPU: 20 ticks at 100 Hz
        pass
    (busy1, total1), mine1 = machine_ticks(), process_ticks(os.getpid())
    assert 0 <= busy1 - busy0 <= total1 - total0
    assert mine1 - mine0 >= 10
    assert busy1 - busy0 >= mine1 - mine0 - 2  # our ticks are among the machine's busy ones


def test_a_process_that_is_gone_has_no_ticks():
    assert process_ticks(None) == 0
    assert process_ticks(2**22 + 12345) == 0
