"""Audit: what the third kind of user needs (``shared/api/audit.md``), over the one shared event store.

Reading order: ``chain`` (the sealed chain's table) and ``sealer`` (the worker that seals the log as it
grows and publishes the head on Kafka), ``verify`` (recomputes the chain and compares), ``log`` (the
fast whole-log reader), ``history`` and ``views`` (one aggregate's events and its state as of an
instant), ``replay`` (history onto a topic), ``rebuild`` (read models rebuilt fast, now or as of an
instant), ``schemas`` (the published AsyncAPI document and its compatibility check).  The chain's
definition itself lives in ``producers.audit``.
"""
