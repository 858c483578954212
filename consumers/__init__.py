"""Kafka in: the consumer runner and what it drives.

Reading order: ``runner`` (poll, hand a batch over, record offsets in the same PostgreSQL
transaction, dead-letter, drain on SIGTERM), ``error_policy``, ``dead_letters``, ``projector`` (a
read model behind the runner), ``inbound_registrations`` (upstream requests -> commands).
"""
