"""The classroom benchmark runs end to end on a small lesson and reports the keys the issue names."""

from __future__ import annotations

from infra.bench.classroom import measure
from infra.settings import Settings


def test_the_classroom_benchmark_measures_a_small_lesson(endpoints):
    settings = Settings(DATABASE_URL=endpoints.database_url, KAFKA_BOOTSTRAP_SERVERS=endpoints.kafka_bootstrap)
    results = measure(settings, students=20, timeout=120)
    assert results["presence_webhooks_per_s"] > 0 and results["room_finished_to_report_ms"] > 0
    assert (results["report_rows"], results["report_total_attended"], results["webhooks"]) == (20, 20, 40)
    assert results["apply_presence_direct_per_s"] > 0
