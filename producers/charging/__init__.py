"""The charging context on Kafka: ``topics`` (names and keys), ``messages`` (the versioned contract of
``charging.sessions.v1``), ``mapping`` (stored events -> messages), ``inbound`` (``inbound.ocpi-sessions.v1``)."""
