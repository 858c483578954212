"""The test service's tokens, and the service as a child process with a test container's settings."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

from infra.container import Container

WRITE_TOKEN = "test-write-token"
READ_TOKEN = "test-read-token"


def spawn_run(container: Container, *args: str, **env: str) -> subprocess.Popen[bytes]:
    """``sessionstream run <args>`` on the container's database, broker and topic prefix; ``env``
    overrides settings (``SESSIONSTREAM_RELAY_BATCH_SIZE="50"``, ...).  The process leads its own
    process group, so a test can kill it with its children (``tests.support.crash.kill_group``)."""
    child_env = container.settings.child_env(
        DATABASE_URL=container.endpoints.database_url,
        KAFKA_BOOTSTRAP_SERVERS=container.endpoints.kafka_bootstrap,
        SESSIONSTREAM_LOG_LEVEL="WARNING",
        **env,
    )
    return subprocess.Popen(
        [sys.executable, "-m", "infra.cli.main", "run", *args], env=child_env, start_new_session=True
    )


def every_worker_up(health: dict[str, Any]) -> bool:
    """The service runs, its supervisor beats and every worker is up (``Service.health()``; records a
    read model could not apply are counted apart, in ``projection_errors``: the session's shared service
    holds those that other tests poison on purpose)."""
    return bool(health["started"] and health["supervisor"] and all(w["up"] for w in health["workers"]))
