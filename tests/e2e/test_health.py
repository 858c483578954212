"""Health and metrics of the running service: every worker listed with its state and lag."""

from __future__ import annotations

import time

import httpx

from infra.service import Service
from tests.support.waiting import wait_for


def test_readiness_lists_every_worker_with_its_state_restarts_and_lag(base_url: str, service: Service) -> None:
    started = time.monotonic()
    answer = httpx.get(f"{base_url}/readyz")
    assert time.monotonic() - started < 0.5
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["checks"] == {"postgres": True, "started": True, "supervisor": True}
    names = {w["name"] for w in body["workers"]}
    assert {"projection:events", "projection:seat_availability", "inbound:registrations", "dispatcher",
            "auto_end"} <= names  # fmt: skip
    assert any(name.startswith("relay:") for name in names)
    for worker in body["workers"]:
        assert {"state", "up", "restarts", "last_error", "lag_events", "lag_seconds"} <= worker.keys()
    relays = [w for w in body["workers"] if w["name"].startswith("relay:")]
    assert all(w["pid"] > 0 for w in relays)
    assert body["kafka"]["state"] in ("ok", "failing") and "projection_errors" in body


def test_the_metrics_give_each_worker_up_restarts_and_lag(base_url: str, service: Service) -> None:
    def exported() -> str | None:
        text = httpx.get(f"{base_url}/metrics").text
        return text if 'sessionstream_worker_lag_events{worker="projection:events"}' in text else None

    text = wait_for(exported, timeout=10)
    assert 'sessionstream_worker_up{worker="projection:events"} 1.0' in text
    assert "sessionstream_worker_lag_seconds{" in text
    assert "sessionstream_log_head " in text


def test_liveness_is_ok_while_the_loop_turns_and_the_supervisor_runs(base_url: str) -> None:
    assert httpx.get(f"{base_url}/livez").json() == {"status": "ok"}
