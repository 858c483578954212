"""The one settings object. Nothing else in the project reads ``os.environ``."""

from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

#: Bearer-token roles: ``write`` (every command and query), ``read`` (GETs), ``audit`` (only ``/audit/*``).
ROLES = ("read", "write", "audit")
#: The checkout's root: local services keep their data under ``<root>/.sessionstream``.
PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Configuration from the environment (see ``shared/api/conventions.md``)."""

    model_config = SettingsConfigDict(env_prefix="", extra="ignore", populate_by_name=True)

    database_url: SecretStr | None = Field(default=None, alias="DATABASE_URL")
    kafka_bootstrap_servers: str | None = Field(default=None, alias="KAFKA_BOOTSTRAP_SERVERS")
    http_host: str = Field(default="127.0.0.1", alias="SESSIONSTREAM_HTTP_HOST")
    http_port: int = Field(default=8000, alias="SESSIONSTREAM_HTTP_PORT")
    api_tokens: SecretStr = Field(default=SecretStr(""), alias="SESSIONSTREAM_API_TOKENS")
    topic_prefix: str = Field(default="", alias="SESSIONSTREAM_TOPIC_PREFIX")
    topic_partitions: int = Field(default=3, alias="SESSIONSTREAM_TOPIC_PARTITIONS", ge=1)
    local_dir: Path = Field(default=PROJECT_ROOT / ".sessionstream", alias="SESSIONSTREAM_LOCAL_DIR")
    log_level: str = Field(default="INFO", alias="SESSIONSTREAM_LOG_LEVEL")
    log_json: bool = Field(default=False, alias="SESSIONSTREAM_LOG_JSON")
    consumer_max_records: int = Field(default=2000, alias="SESSIONSTREAM_CONSUMER_MAX_RECORDS", ge=1)
    relay_batch_size: int = Field(default=2000, alias="SESSIONSTREAM_RELAY_BATCH_SIZE", ge=1)
    dispatch_interval_s: float = Field(default=1.0, alias="SESSIONSTREAM_DISPATCH_INTERVAL_S", gt=0)
    auto_end_interval_s: float = Field(default=300.0, alias="SESSIONSTREAM_AUTO_END_INTERVAL_S", gt=0)
    #: OCPI credentials tokens, one party each: ``token:COUNTRY:PARTY`` triples, comma-separated.
    ocpi_tokens: SecretStr = Field(default=SecretStr(""), alias="SESSIONSTREAM_OCPI_TOKENS")
    #: The OCPI sender list's largest page (``X-Limit``).
    ocpi_max_limit: int = Field(default=100, alias="SESSIONSTREAM_OCPI_MAX_LIMIT", ge=1, le=1000)
    #: Charging policy flags (``domain/charging/RULES.md`` CH-17).
    charging_stale_updates: Literal["ignore", "apply"] = Field(default="ignore", alias="CHARGING_STALE_UPDATES")
    charging_final_statuses: Literal["terminal", "open"] = Field(default="terminal", alias="CHARGING_FINAL_STATUSES")

    # -- the door and fail-fast timeouts (README "Limits and timeouts") --------------------------
    #: Request bodies over this are refused with 413 (the largest valid body is a few KiB).
    http_max_body_bytes: int = Field(default=64 * 1024, alias="SESSIONSTREAM_HTTP_MAX_BODY_BYTES", ge=1024)
    #: How long a request (and the event store) waits for a pooled PostgreSQL connection before giving up.
    db_pool_timeout_s: float = Field(default=0.5, alias="SESSIONSTREAM_DB_POOL_TIMEOUT_S", gt=0)
    #: The same for the read-model workers (they retry their batch after it; requests must not wait).
    db_worker_pool_timeout_s: float = Field(default=5.0, alias="SESSIONSTREAM_DB_WORKER_POOL_TIMEOUT_S", gt=0)
    #: libpq's connect timeout (whole seconds, at least 2: libpq's own floor).
    db_connect_timeout_s: int = Field(default=2, alias="SESSIONSTREAM_DB_CONNECT_TIMEOUT_S", ge=2)
    #: A pool gives up reconnecting after this long, and tries afresh on the next demand.
    db_reconnect_timeout_s: float = Field(default=5.0, alias="SESSIONSTREAM_DB_RECONNECT_TIMEOUT_S", gt=0)
    #: Statement timeouts: read-model workers (batches), the event store, and HTTP reads.
    db_statement_timeout_ms: int = Field(default=30_000, alias="SESSIONSTREAM_DB_STATEMENT_TIMEOUT_MS", ge=0)
    eventstore_statement_timeout_ms: int = Field(
        default=5_000, alias="SESSIONSTREAM_EVENTSTORE_STATEMENT_TIMEOUT_MS", ge=0
    )
    api_statement_timeout_ms: int = Field(default=1_500, alias="SESSIONSTREAM_API_STATEMENT_TIMEOUT_MS", ge=1)
    #: The event store's table lock (serializes inserts), in whole seconds.
    eventstore_lock_timeout_s: int = Field(default=2, alias="SESSIONSTREAM_EVENTSTORE_LOCK_TIMEOUT_S", ge=0)

    # -- resilience --------------------------------------------------------------------------------
    #: The broker's message limit (its ``message.max.bytes``): a larger relay message goes as a claim check.
    kafka_message_max_bytes: int = Field(default=1_000_000, alias="SESSIONSTREAM_KAFKA_MESSAGE_MAX_BYTES", ge=16_384)
    #: Seconds ``sessionstream run`` gives itself to drain on SIGTERM before it exits regardless.
    stop_timeout_s: float = Field(default=10.0, alias="SESSIONSTREAM_STOP_TIMEOUT_S", gt=0)
    #: Tests only: a relay process pauses once, after a batch's acks and before saving its position,
    #: and writes its pid to this file (so a test can kill it inside a batch).
    fault_relay_pause_file: Path | None = Field(default=None, alias="SESSIONSTREAM_FAULT_RELAY_PAUSE_FILE")

    @field_validator("topic_prefix")
    @classmethod
    def _prefix_is_topic_safe(cls, value: str) -> str:
        allowed = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
        if not set(value) <= allowed:
            raise ValueError("may hold only letters, digits, '.', '_' and '-'")
        return value

    @field_validator("ocpi_tokens")
    @classmethod
    def _ocpi_tokens_are_triples(cls, value: SecretStr) -> SecretStr:
        parse_ocpi_tokens(value.get_secret_value())
        return value

    def ocpi_parties(self) -> dict[str, tuple[str, str]]:
        """OCPI credentials token -> the ``(country_code, party_id)`` of the party it belongs to."""
        return parse_ocpi_tokens(self.ocpi_tokens.get_secret_value())

    def application_env(self) -> dict[str, str]:
        """Settings the contexts' applications read from their ``env`` (policy flags)."""
        return {
            "CHARGING_STALE_UPDATES": self.charging_stale_updates,
            "CHARGING_FINAL_STATUSES": self.charging_final_statuses,
        }

    def tokens(self) -> dict[str, str]:
        """Bearer token -> role (``read``, ``write`` or ``audit``)."""
        pairs: dict[str, str] = {}
        for item in self.api_tokens.get_secret_value().split(","):
            item = item.strip()
            if not item:
                continue
            token, _, role = item.rpartition(":")
            if not token or role not in ROLES:
                raise ValueError("SESSIONSTREAM_API_TOKENS must be comma-separated token:role pairs")
            pairs[token] = role
        return pairs

    def child_env(self, **overrides: str) -> dict[str, str]:
        """The environment of a child process of ours (a relay, a benchmark issuer, a service under
        test): this process's variables (PATH, locale, ...), then these settings under their variable
        names, then ``overrides`` (``DATABASE_URL="..."``), with the checkout on ``PYTHONPATH``."""
        env = dict(os.environ)
        for name, field in type(self).model_fields.items():
            value = getattr(self, name)
            if field.alias is None or value is None:
                continue
            if isinstance(value, SecretStr):
                value = value.get_secret_value()
            if isinstance(value, bool):
                env[field.alias] = str(value).lower()
            elif isinstance(value, (dict, list, tuple, set)):
                # JSON, as pydantic-settings reads complex values from the environment.
                env[field.alias] = json.dumps(sorted(value) if isinstance(value, set) else value)
            else:
                env[field.alias] = str(value)
        env.update(overrides)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(PROJECT_ROOT), env.get("PYTHONPATH", "")) if p)
        return env


def parse_ocpi_tokens(text: str) -> dict[str, tuple[str, str]]:
    """``token:COUNTRY:PARTY,...`` -> token -> (country, party); a token may itself hold ``:``."""
    parties: dict[str, tuple[str, str]] = {}
    for item in text.split(","):
        item = item.strip()
        if not item:
            continue
        parts = item.rsplit(":", 2)
        token, country, party = parts if len(parts) == 3 else ("", "", "")
        if not token or not (1 <= len(country) <= 2 and 1 <= len(party) <= 3 and (country + party).isascii()):
            raise ValueError("SESSIONSTREAM_OCPI_TOKENS must be comma-separated token:COUNTRY:PARTY triples")
        parties[token] = (country, party)
    return parties


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
