"""Event sessions on Kafka: message schemas, topics, and the domain-event -> message mapping."""
