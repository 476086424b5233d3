"""Settings of the portal service (environment variables prefixed LISTFLOW_)."""

from listflow.kit.settings import CommonSettings
from pydantic import Field, SecretStr, model_validator

# Written in this repository: local runs and tests only (refused elsewhere, as the PII
# secret is). The simulator in tools/devstack signs its webhooks with the same value.
LOCAL_WEBHOOK_SECRET = "whsec_bG9jYWwtb25seS1wYXltZW50cy13ZWJob29rLXNlY3JldA=="  # noqa: S105
LOCAL_PROVIDER_KEY = "sk_test_local_simulator"


class Settings(CommonSettings):
    portal_http_port: int = 8105
    portal_consumer_group: str = "listflow-portal"
    # The public base of customer links (the gateway locally, the Ingress in production):
    # a link is `<portal_public_url>/p/<token>`.
    portal_public_url: str = "http://127.0.0.1:8000"
    portal_changes_batch_size: int = 500
    # Worker processes sharing the HTTP port, each a replica of its own (its consumers join
    # the group, its judge loop runs): everything a page relies on lives in the store, so
    # lockouts, throttles and settings hold across them. In Kubernetes scale by replicas.
    portal_workers: int = Field(default=1, ge=1, le=32)
    # A link written but not yet announced (the process died in between) is replaced by a
    # fresh one after this long: its token was never published, so nobody can hold it.
    portal_unpublished_grace_s: float = 30.0
    # ID&V attempts allowed per minute per link and per client address.
    portal_throttle_per_link: int = 10
    portal_throttle_per_address: int = 30
    # Test stacks only: the lock after too many failures lasts at most this many seconds.
    portal_lockout_cap_s: float | None = None
    # How often promises past their due date are judged (kept or broken).
    portal_judge_interval_s: float = 300.0
    # Behind a proxy that sets X-Forwarded-For / X-Forwarded-Proto (the Ingress), trust them
    # for the client's address (throttle, audit) and for https (Secure cookies).
    portal_trust_forwarded: bool = False
    # The card provider (the simulator of tools/devstack locally).
    payments_provider_url: str = "http://127.0.0.1:8109"
    payments_provider_key: SecretStr = SecretStr(LOCAL_PROVIDER_KEY)
    payments_webhook_secret: SecretStr = SecretStr(LOCAL_WEBHOOK_SECRET)

    @property
    def database(self) -> str:
        return f"{self.database_prefix}portal"

    @model_validator(mode="after")
    def _refuse_local_payment_secrets(self) -> "Settings":
        if self.environment != "local" and (
            self.payments_webhook_secret.get_secret_value() == LOCAL_WEBHOOK_SECRET
            or self.payments_provider_key.get_secret_value() == LOCAL_PROVIDER_KEY
        ):
            raise ValueError(
                "LISTFLOW_PAYMENTS_WEBHOOK_SECRET and LISTFLOW_PAYMENTS_PROVIDER_KEY must be "
                f"set outside local runs (LISTFLOW_ENVIRONMENT={self.environment})"
            )
        return self
