"""Classroom live sessions on Kafka: topics, message schemas, the presence webhooks, and the mapping.

Reading order: ``topics``, ``messages`` (the public contract of ``classroom.live-sessions.v1`` and
``classroom.classrooms.v1``), ``inbound`` (``inbound.presence.v1`` and its outcomes), ``mapping``.
"""
