"""Settings every service shares. Each service subclasses `CommonSettings` in its config.py."""

import hashlib
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Local runs and tests may use these; a production deployment must set its own.
LOCAL_PII_SECRET = "local-only-pii-secret-never-in-production"  # noqa: S105 (refused in production)


def api_key_digest(key: str) -> str:
    """How an API key is stored and configured: its SHA-256, never the key itself."""
    return hashlib.sha256(key.encode()).hexdigest()


class CommonSettings(BaseSettings):
    # hide_input_in_errors: a refusal is printed at start, and the input holds every
    # LISTFLOW_ variable (database URLs with passwords, the secret itself).
    model_config = SettingsConfigDict(
        env_prefix="LISTFLOW_", extra="ignore", hide_input_in_errors=True
    )

    environment: Literal["local", "test", "production"] = "local"
    log_level: str = "INFO"
    kafka_bootstrap: str = "127.0.0.1:9092"
    mongodb_url: str = "mongodb://127.0.0.1:27017/"
    database_prefix: str = Field(
        default="listflow_",
        description="Prefix of each service's database name (tests isolate runs with it).",
    )
    # tenant id -> SHA-256 digests of its API keys (see api_key_digest); from a secret store.
    api_keys: dict[str, list[str]] = Field(default_factory=dict)
    pii_secret: SecretStr = SecretStr(LOCAL_PII_SECRET)
    http_host: str = "127.0.0.1"

    @model_validator(mode="after")
    def _refuse_local_secrets_outside_local_runs(self) -> "CommonSettings":
        # The default is written in this repository: ids encrypted with it are readable by
        # anyone holding the repository and the topic, so only a local run may use it.
        if self.environment != "local" and self.pii_secret.get_secret_value() == LOCAL_PII_SECRET:
            raise ValueError(
                f"LISTFLOW_PII_SECRET must be set to a secret of your own outside local "
                f"runs (LISTFLOW_ENVIRONMENT={self.environment})"
            )
        if self.environment == "production" and not self.api_keys:
            raise ValueError("LISTFLOW_API_KEYS must name at least one tenant in production")
        return self

    def tenant_for_digest(self) -> dict[str, str]:
        return {digest: tenant for tenant, digests in self.api_keys.items() for digest in digests}
