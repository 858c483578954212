"""``/livez`` and ``/readyz`` without a database: what they answer, and how fast."""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass, field
from typing import Any, cast

from fastapi.testclient import TestClient

from infra.api.app import create_app
from infra.api.health import LoopWatchdog
from infra.container import Container
from infra.settings import Settings


class DeadPool:
    def connection(self, timeout: float | None = None) -> Any:
        raise OSError("connection refused")


class HangingPool:
    """A server that accepted the connection and never answers."""

    def connection(self, timeout: float | None = None) -> Any:
        threading.Event().wait()


class LivePool:
    class _Conn:
        def __enter__(self) -> Any:
            return self

        def __exit__(self, *args: Any) -> None:
            pass

        def execute(self, _query: str) -> None:
            pass

    def connection(self, timeout: float | None = None) -> Any:
        return self._Conn()


@dataclass
class FakeContainer:
    pool: Any
    settings: Settings = field(default_factory=lambda: Settings(SESSIONSTREAM_API_TOKENS="w:write"))


RESTARTING = {"name": "relay:eventsessions.sessions.v1", "state": "restarting", "up": False, "restarts": 3,
              "last_error": "KafkaException: _TRANSPORT", "lag_events": 120, "lag_seconds": 14.2}  # fmt: skip
RUNNING = {"name": "projection:events", "state": "running", "up": True, "restarts": 0, "last_error": None,
           "lag_events": 0, "lag_seconds": 0.0}  # fmt: skip


def client(pool: Any, report: dict[str, Any] | None = None) -> TestClient:
    app = create_app(cast(Container, FakeContainer(pool)), readiness=(lambda: report) if report is not None else None)
    return TestClient(app, raise_server_exceptions=False)


def test_readiness_fails_when_postgresql_does_not_answer_and_says_why() -> None:
    answer = client(DeadPool(), {"started": True, "supervisor": True, "workers": [RUNNING]}).get("/readyz")
    assert answer.status_code == 503
    body = answer.json()
    assert body["detail"] == "Not ready: postgres."
    assert body["checks"] == {"postgres": False, "started": True, "supervisor": True}
    assert body["postgres_error"].startswith("OSError")
    assert answer.headers["retry-after"] == "1"


def test_a_degraded_pipeline_is_listed_without_failing_readiness() -> None:
    report = {"started": True, "supervisor": True, "workers": [RESTARTING, RUNNING], "kafka": {"state": "failing"}}
    answer = client(LivePool(), report).get("/readyz")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["degraded"] == ["relay:eventsessions.sessions.v1"]
    assert body["workers"][0]["restarts"] == 3 and body["workers"][0]["lag_events"] == 120
    assert body["kafka"] == {"state": "failing"}


def test_an_instance_not_started_yet_is_not_ready() -> None:
    answer = client(LivePool(), {"started": False, "supervisor": True, "workers": []}).get("/readyz")
    assert answer.status_code == 503
    assert answer.json()["detail"] == "Not ready: started."


def test_readiness_answers_within_half_a_second_when_postgresql_hangs() -> None:
    http = client(HangingPool(), {"started": True, "supervisor": True, "workers": []})
    started = time.monotonic()
    answer = http.get("/readyz")
    assert time.monotonic() - started < 0.5
    assert answer.status_code == 503


def test_liveness_fails_when_the_supervisor_is_dead() -> None:
    answer = client(LivePool(), {"started": True, "supervisor": False, "workers": []}).get("/livez")
    assert answer.status_code == 503
    assert answer.json()["detail"] == "Not alive: supervisor."


def test_liveness_answers_ok_with_the_heartbeat_running() -> None:
    with client(LivePool(), {"started": True, "supervisor": True, "workers": []}) as http:  # runs the lifespan
        assert http.get("/livez").json() == {"status": "ok"}


def test_the_watchdog_sees_an_event_loop_blocked_by_a_synchronous_call() -> None:
    watchdog = LoopWatchdog(stall_s=0.3, beat_s=0.05)
    seen: list[bool] = []

    async def main() -> None:
        await watchdog.start()
        await asyncio.sleep(0.1)
        seen.append(watchdog.alive())
        time.sleep(0.8)  # blocks the loop: the heartbeat cannot run
        seen.append(watchdog.stalled)
        await asyncio.sleep(0.2)
        seen.append(watchdog.alive())
        await watchdog.stop()

    asyncio.run(main())
    assert seen == [True, True, True]
