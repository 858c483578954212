"""Prometheus metrics: the processing code calls small hooks; the Prometheus side lives here."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

RELAY_PUBLISHED = Counter("sessionstream_relay_published_total", "Domain events published to Kafka")
RELAY_POSITION = Gauge("sessionstream_relay_position", "Last notification id acknowledged by the broker")
CONSUMED = Counter("sessionstream_consumer_records_total", "Records applied", ["group"])
CONSUMER_LAG = Gauge("sessionstream_consumer_lag_records", "Records behind the partition ends", ["group"])
BATCH_SECONDS = Histogram("sessionstream_consumer_batch_seconds", "Time to apply and commit one batch", ["group"])


class PrometheusMetrics:
    def on_published(self, count: int, position: int) -> None:
        RELAY_PUBLISHED.inc(count)
        RELAY_POSITION.set(position)

    def on_batch(self, group: str, records: int, seconds: float, lag: int) -> None:
        CONSUMED.labels(group).inc(records)
        BATCH_SECONDS.labels(group).observe(seconds)
        CONSUMER_LAG.labels(group).set(lag)
