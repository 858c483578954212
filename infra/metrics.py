"""Prometheus metrics: the processing code calls small hooks; the Prometheus side lives here.

Per worker (label ``worker``: ``relay:<scope>``, ``projection:<name>``, ``inbound:<topic>``,
``dispatcher``, ``auto_end``): up, restarts, the time and class of its last error, and its lag in
events and seconds (a projection behind the end of its topics, a relay behind the log's head).
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

from consumers.supervisor import Status

RELAY_PUBLISHED = Counter("sessionstream_relay_published_total", "Domain events published to Kafka")
RELAY_POSITION = Gauge("sessionstream_relay_position", "Last notification id acknowledged by the broker")
CONSUMED = Counter("sessionstream_consumer_records_total", "Records applied", ["group"])
CONSUMER_LAG = Gauge("sessionstream_consumer_lag_records", "Records behind the partition ends", ["group"])
BATCH_SECONDS = Histogram("sessionstream_consumer_batch_seconds", "Time to apply and commit one batch", ["group"])

WORKER_UP = Gauge("sessionstream_worker_up", "1 while the worker runs (or stands by for a lock), else 0", ["worker"])
WORKER_RESTARTS = Counter(
    "sessionstream_worker_restarts_total", "Times the supervisor restarted the worker", ["worker"]
)
WORKER_LAST_ERROR = Gauge(
    "sessionstream_worker_last_error_timestamp_seconds", "When the worker last failed (unix time)", ["worker"]
)
WORKER_ERRORS = Counter(
    "sessionstream_worker_errors_total", "Failures that restarted the worker, by error class", ["worker", "error"]
)
WORKER_LAG_EVENTS = Gauge("sessionstream_worker_lag_events", "Events the worker is behind", ["worker"])
WORKER_LAG_SECONDS = Gauge("sessionstream_worker_lag_seconds", "Seconds the worker is behind", ["worker"])
LOG_HEAD = Gauge("sessionstream_log_head", "Highest notification id in the event store")
PROJECTION_ERRORS = Gauge("sessionstream_projection_errors", "Records a read model could not apply", ["projection"])


class PrometheusMetrics:
    def on_published(self, count: int, position: int) -> None:
        RELAY_PUBLISHED.inc(count)
        RELAY_POSITION.set(position)

    def on_batch(self, group: str, records: int, seconds: float, lag: int) -> None:
        CONSUMED.labels(group).inc(records)
        BATCH_SECONDS.labels(group).observe(seconds)
        CONSUMER_LAG.labels(group).set(lag)

    # -- supervisor hooks

    def on_status(self, status: Status) -> None:
        WORKER_UP.labels(status.name).set(1 if status.up else 0)
        if status.last_error_at is not None:
            WORKER_LAST_ERROR.labels(status.name).set(status.last_error_at)
        if status.lag_events is not None:
            WORKER_LAG_EVENTS.labels(status.name).set(status.lag_events)
        if status.lag_seconds is not None:
            WORKER_LAG_SECONDS.labels(status.name).set(status.lag_seconds)

    def on_restart(self, name: str, error: BaseException) -> None:
        WORKER_RESTARTS.labels(name).inc()
        WORKER_ERRORS.labels(name, type(error).__name__).inc()

    def on_head(self, head: int) -> None:
        LOG_HEAD.set(head)

    def on_projection_errors(self, counts: dict[str, int]) -> None:
        for name, count in counts.items():
            PROJECTION_ERRORS.labels(name).set(count)
