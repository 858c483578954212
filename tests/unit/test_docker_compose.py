"""docker-compose.yml cannot run here (no Docker engine), so its structure is what we check."""

from __future__ import annotations

from pathlib import Path

import yaml

COMPOSE = yaml.safe_load((Path(__file__).resolve().parents[2] / "docker-compose.yml").read_text())


def test_compose_runs_the_official_kafka_and_postgres_images_with_healthchecks():
    services = COMPOSE["services"]
    assert services["kafka"]["image"].startswith("apache/kafka:")
    assert services["postgres"]["image"].startswith("postgres:")
    for name in ("kafka", "postgres", "sessionstream"):
        assert services[name]["healthcheck"]["test"], name


def test_the_service_waits_for_healthy_dependencies_and_gets_the_settings_it_reads():
    app = COMPOSE["services"]["sessionstream"]
    assert app["depends_on"] == {
        "postgres": {"condition": "service_healthy"},
        "kafka": {"condition": "service_healthy"},
    }
    env = app["environment"]
    assert env["DATABASE_URL"].startswith("postgresql://") and "@postgres:5432/" in env["DATABASE_URL"]
    assert env["KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092"
    assert {"SESSIONSTREAM_API_TOKENS", "SESSIONSTREAM_HTTP_PORT"} <= set(env)


def test_kafka_is_a_single_kraft_node_with_single_replica_internal_topics():
    env = COMPOSE["services"]["kafka"]["environment"]
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert env["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"] == 1
    assert env["KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR"] == 1
