"""The charging demo runs against the service: pushes over HTTP and Kafka, then the energy per hour."""

from __future__ import annotations

from typing import Any

import pytest

from infra.cli.demo_charging import charging_demo
from tests.e2e.charging_support import TOKENS
from tests.support.service import WRITE_TOKEN

pytestmark = pytest.mark.e2e


def test_the_charging_demo_pushes_a_session_and_shows_the_locations_energy(base_url: str, container: Any) -> None:
    energy = charging_demo(
        base_url, bootstrap=container.endpoints.kafka_bootstrap, topic_prefix=container.settings.topic_prefix,
        ocpi_token=TOKENS[("PT", "DMO")], write_token=WRITE_TOKEN, party=("PT", "DMO"),
    )  # fmt: skip

    assert energy["total_kwh"] == pytest.approx(26.1)
    assert [b["sessions"] for b in energy["buckets"]] == [1, 1, 1, 0]
