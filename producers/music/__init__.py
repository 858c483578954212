"""The music context on Kafka: ``topics`` (names, keys), ``messages`` (the versioned public schemas and
their decoders), ``mapping`` (domain event -> message, the one place that knows both), ``inbound``
(``inbound.tunelog.v1`` requests and their outcomes)."""
