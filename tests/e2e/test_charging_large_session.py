"""A session with a thousand charging periods is far over the API's generic 64 KiB body limit: the
OCPI receiver takes it (its own limit is 8 MiB), and a body over that is refused with 413."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from tests.e2e.charging_support import dumps, ocpi_client, put, session

pytestmark = pytest.mark.e2e


def periods(start: str, count: int) -> list[dict[str, object]]:
    first = datetime.fromisoformat(start.replace("Z", "+00:00"))
    return [
        {"start_date_time": (first + timedelta(minutes=n)).strftime("%Y-%m-%dT%H:%M:%SZ"),
         "dimensions": [{"type": "ENERGY", "volume": 0.25}]}
        for n in range(count)
    ]  # fmt: skip


def test_a_session_with_a_thousand_periods_is_received(base_url: str) -> None:
    body = session()
    body["charging_periods"] = periods(body["start_date_time"], 1000)
    assert len(dumps(body)) > 64 * 1024

    with ocpi_client(base_url) as client:
        answer = put(client, body)
        served = client.get(f"/ocpi/emsp/2.2.1/sessions/NL/STK/{body['id']}")

    assert answer.status_code == 201 and answer.json()["status_code"] == 1000
    assert len(served.json()["data"]["charging_periods"]) == 1000


def test_a_body_over_the_ocpi_limit_is_413(base_url: str) -> None:
    body = session()
    body["padding"] = "x" * (8 * 1024 * 1024 + 1)  # unknown fields are kept (D24): only the size refuses it

    with ocpi_client(base_url) as client:
        answer = put(client, body)

    assert answer.status_code == 413
