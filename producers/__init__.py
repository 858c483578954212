"""Domain events out to Kafka.

Reading order: ``topics`` (the catalogue), ``schemas`` (the public message contract), ``mapping``
(domain event -> message, the one place that knows both), ``relay`` (notification log -> topics).
"""
