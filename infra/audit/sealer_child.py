"""The audit sealer in a child process (``python -m infra.audit.sealer_child``), as ``sessionstream run``
runs it: ``SealerProcess`` is the parent's side (the relay's, ``infra.relays``, with this module and no
scope), ``child_main`` the child's (``infra.child.serve`` around ``SealerRun``).

As a thread of the service the sealer shared the interpreter lock with the requests and the read
models' consumers, which it woke up to a hundred times a second (every commit's NOTIFY).

The child reports the chain's head as ``("published", count, position)``: the position when it starts,
then after each batch sealed; and the sealer's condition (``retrying`` through a PostgreSQL outage,
``standby`` behind another instance's sealer, ``running``) as ``("state", state, error)``, which the
parent logs once per change and shows in ``/readyz``.
"""

from __future__ import annotations

import sys
import time
from multiprocessing.connection import Connection
from typing import Any

from consumers.supervisor import Condition, describe
from infra.audit.sealer_run import SealerRun
from infra.child import Child, Pipe, close_container, serve
from infra.container import Container, Endpoints
from infra.relays import RelayProcess
from infra.settings import Settings


class SealerProcess(RelayProcess):
    """The sealer's child process, supervised like a relay's (``run``, ``stop``, ``kill``, ``position``:
    the chain's head as last reported)."""

    module = "infra.audit.sealer_child"

    def __init__(self, settings: Settings, endpoints: Endpoints, *, gated: bool = False) -> None:
        super().__init__(settings, endpoints, None, gated=gated, name=SealerRun.name)

    def payload(self) -> tuple[Any, ...]:
        return (self.settings, self.endpoints)

    def lag(self) -> None:
        return None  # the seal lag is the benchmark's figure; the relays report theirs


class Forwarded(Condition):
    """The sealer's condition, said to the parent instead of logged here (the parent logs each change
    once, as it does a relay's)."""

    def __init__(self, name: str, pipe: Pipe) -> None:
        super().__init__(name)
        self.pipe = pipe

    def fail(self, error: BaseException | str, state: str = "retrying") -> None:
        text = error if isinstance(error, str) else describe(error)
        self.state, self.last_error, self.last_error_at = state, text, time.time()
        self.failing_since = self.failing_since or time.monotonic()
        self.pipe.send(("state", state, text))

    def ok(self, state: str = "running") -> None:
        self.state, self.failing_since = state, None
        self.pipe.send(("state", state, None))


def child_main(settings: Settings, endpoints: Endpoints, conn: Connection) -> None:
    def attempt(child: Child) -> None:
        container = Container(settings, endpoints, create_event_store=False, store_pool_size=2)
        run = SealerRun(container, metrics=child.pipe)
        run.condition = Forwarded(SealerRun.name, child.pipe)
        child.stops.append(run.stop)
        try:
            child.started(0)
            if not child.stopping.is_set():
                run.run()
        finally:
            close_container(container, quickly=child.stopping.is_set())

    serve(settings, conn, SealerRun.name, attempt)


if __name__ == "__main__":
    _conn = Connection(int(sys.argv[1]))
    _settings, _endpoints = _conn.recv()
    child_main(_settings, _endpoints, _conn)
