"""One music tick as if the clock read an instant (``sessionstream music tick`` and the music demo)."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from consumers.music.clock import tick_report
from infra.cli.oneshot import container_at, publish_recorded


def tick_at(at: datetime | None, *, quiet: bool = False) -> dict[str, Any]:
    """One tick (auto-create, then the active window) as if the clock read ``at``; publishes what it
    recorded and returns the A.4 result (plus what the active window changed).  ``quiet``: warnings only."""
    container = container_at(at)
    if quiet:
        logging.getLogger().setLevel(logging.WARNING)
    try:
        report = tick_report(container.music.tick(container.clock.now()))
        publish_recorded(container)
        return report
    finally:
        container.close()
