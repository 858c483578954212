"""Local PostgreSQL and Kafka for development, tests and benchmarks.

Both run as plain processes (no Docker) with their data under ``settings.local_dir``,
so a checkout can bring up the real dependencies with ``sessionstream local up``.
"""


class LocalServiceError(RuntimeError):
    """A local service could not be started, stopped or found; the message says what to do."""
