"""The audit sealer in a child process (``python -m infra.audit.sealer_child``), as ``sessionstream run``
runs it: ``SealerProcess`` is the parent's side (the relay's, ``infra.relays``, with this module and no
scope), ``child_main`` the child's (``infra.child.serve`` around ``SealerRun``, rebuilt after any failure).

The child reports the chain's head as ``("published", count, position)``: the position when it starts,
then after each batch sealed.
"""

from __future__ import annotations

import sys
from multiprocessing.connection import Connection
from typing import Any

from infra.audit.sealer import SealerRun
from infra.child import Child, close_container, serve
from infra.container import Container, Endpoints
from infra.relays import RelayProcess
from infra.settings import Settings


class SealerProcess(RelayProcess):
    """The sealer's child process, supervised like a relay's (``run``, ``stop``, ``kill``, ``position``:
    the chain's head as last reported)."""

    module = "infra.audit.sealer_child"

    def __init__(self, settings: Settings, endpoints: Endpoints, *, gated: bool = False) -> None:
        super().__init__(settings, endpoints, None, gated=gated)
        self.name = SealerRun.name

    def payload(self) -> tuple[Any, ...]:
        return (self.settings, self.endpoints)

    def lag(self) -> None:
        return None  # the relay's figure (notifications behind the head) is the seal lag's upper bound


def child_main(settings: Settings, endpoints: Endpoints, conn: Connection) -> None:
    def attempt(child: Child) -> None:
        container = Container(settings, endpoints, create_event_store=False, store_pool_size=2)
        run = SealerRun(container, metrics=child.pipe)
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
