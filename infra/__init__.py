"""The edge: settings, PostgreSQL and Kafka wiring, local services, HTTP API, CLI, logging, metrics.

The only package that assembles everything.  Reading order: ``settings``, ``postgres``, ``kafka``,
``container`` (builds the application, relay and consumers), ``api``, ``cli``.
"""
