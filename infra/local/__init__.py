"""Local PostgreSQL and Kafka for development, tests and benchmarks.

Both run as plain processes (no Docker) with their data under ``settings.local_dir``,
so a checkout can bring up the real dependencies with ``sessionstream local up``.
"""

from __future__ import annotations

import os
from pathlib import Path


class LocalServiceError(RuntimeError):
    """A local service could not be started, stopped or found; the message says what to do."""


def process_runs(pid: int, *markers: bytes) -> bool:
    """True if ``pid`` is alive and its command line holds every marker (so a reused pid or a zombie,
    whose command line is empty, does not pass for our service)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except FileNotFoundError:
        return False
    except OSError:  # no /proc: trust kill(0)
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            pass
        return True
    return all(marker in cmdline for marker in markers)
