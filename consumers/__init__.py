"""Kafka in: the consumer runner and what it drives.

Reading order: ``runner`` (poll, hand a batch over, record offsets in the same PostgreSQL
transaction, dead-letter, drain on SIGTERM), ``error_policy`` (transient, permanent for a record, or
a bug; the retry waits), ``supervisor`` (every worker restarted after any failure, its state and lag),
``dead_letters``, ``projector`` (a read model behind the runner; a record it cannot apply isolated
into ``projection_errors``), ``inbound_registrations`` (upstream requests -> commands).
"""
