"""The one settings object. Nothing else in the project reads ``os.environ``."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

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

    @field_validator("topic_prefix")
    @classmethod
    def _prefix_is_topic_safe(cls, value: str) -> str:
        allowed = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
        if not set(value) <= allowed:
            raise ValueError("may hold only letters, digits, '.', '_' and '-'")
        return value

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


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
