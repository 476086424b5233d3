"""Settings of the campaigns service (environment variables prefixed LISTFLOW_)."""

import tempfile
from pathlib import Path

from listflow.campaigns.ports import SmtpTls
from listflow.kit.settings import CommonSettings
from pydantic import Field, SecretStr, model_validator

# The local simulator's values (tools/devstack/infra.py): refused outside local runs.
LOCAL_SMS_PROVIDER_KEY = "sms_test_local_simulator"
LOCAL_SMS_WEBHOOK_SECRET = "whsec_bG9jYWwtb25seS1zbXMtcHJvdmlkZXItd2ViaG9vay1zZWNyZXQ="  # noqa: S105


class Settings(CommonSettings):
    campaigns_http_port: int = 8104
    campaigns_consumer_group: str = "listflow-campaigns"
    # Contact changes and link events per batch of the read-model consumers.
    campaigns_changes_batch_size: int = 500
    # The public base URL customers' unsubscribe links point at (the gateway locally).
    campaigns_public_url: str = "http://127.0.0.1:8000"
    campaigns_smtp_host: str = "127.0.0.1"
    campaigns_smtp_port: int = 8106  # Mailpit of tools/devstack locally (base+6)
    # How the connection to the relay is secured: "starttls" (submission, usually 587), "tls"
    # (implicit TLS, usually 465) or "none" (a relay inside the network; Mailpit locally).
    campaigns_smtp_tls: SmtpTls = "none"
    # The relay's sign-in, when it asks for one (both or neither; from a secret store).
    campaigns_smtp_username: str | None = None
    campaigns_smtp_password: SecretStr | None = None
    # Connections kept open to the relay. More of them cost less CPU a message on both
    # sides (each wake-up of the event loop, and of the server, serves more of them): against
    # Mailpit, 4 took ~420 us of the sender's CPU and ~650 us of Mailpit's a message, 32
    # ~360 and ~530 (docs/performance.md, camp12ledger). A chunk sends 100 at once.
    campaigns_smtp_connections: int = 32
    # The longest one SMTP exchange may take; a send starts only while its lease (below) has
    # longer than this to run.
    campaigns_smtp_timeout_s: float = 30.0
    campaigns_from_address: str = "Listflow <noreply@listflow.invalid>"
    campaigns_unsubscribe_mailbox_domain: str = "listflow.invalid"
    # How often the dispatcher looks for due messages.
    campaigns_dispatch_every_s: float = 0.5
    campaigns_dispatch_batch: int = 500
    # Messages claimed (moved to SENDING) at once, and how long a claim holds them: a
    # sender that dies holding messages leaves them to be sent again after the lease.
    campaigns_send_chunk: int = 100
    campaigns_send_lease_s: float = 120.0
    # How long a ListReady waits for the contact read model to catch up before it is retried.
    campaigns_barrier_timeout_s: float = 60.0

    # The SMS provider (the simulator of tools/devstack locally, base+8) and its webhooks.
    campaigns_sms_provider_url: str = "http://127.0.0.1:8108"
    campaigns_sms_provider_key: SecretStr = SecretStr(LOCAL_SMS_PROVIDER_KEY)
    campaigns_sms_webhook_secret: SecretStr = SecretStr(LOCAL_SMS_WEBHOOK_SECRET)
    campaigns_sms_timeout_s: float = 10.0
    campaigns_sms_from: str = "+15005550006"
    # Where the provider calls back: this service's base URL as the provider reaches it.
    campaigns_sms_callback_url: str = "http://127.0.0.1:8104"
    # The HELP answer of a tenant that has set none (the tenants' own: campaign settings).
    campaigns_sms_help_default: str = (
        "Messages about your account. Reply STOP to stop them, START to get them again."
    )
    campaigns_default_phone_region: str = "US"
    # Where an XLSX campaign file is built before it is sent (deleted once sent).
    campaigns_spool_dir: Path = Field(
        default_factory=lambda: Path(tempfile.gettempdir()) / "listflow-campaigns"
    )

    @property
    def database(self) -> str:
        return f"{self.database_prefix}campaigns"

    @model_validator(mode="after")
    def _refuse_local_sms_secrets(self) -> "Settings":
        if self.environment != "local" and (
            self.campaigns_sms_webhook_secret.get_secret_value() == LOCAL_SMS_WEBHOOK_SECRET
            or self.campaigns_sms_provider_key.get_secret_value() == LOCAL_SMS_PROVIDER_KEY
        ):
            raise ValueError(
                "LISTFLOW_CAMPAIGNS_SMS_WEBHOOK_SECRET and LISTFLOW_CAMPAIGNS_SMS_PROVIDER_KEY "
                f"must be set outside local runs (LISTFLOW_ENVIRONMENT={self.environment})"
            )
        if (self.campaigns_smtp_username is None) != (self.campaigns_smtp_password is None):
            raise ValueError(
                "LISTFLOW_CAMPAIGNS_SMTP_USERNAME and LISTFLOW_CAMPAIGNS_SMTP_PASSWORD go together"
            )
        # A password sent in the clear can be read on the way; only a local relay may take it.
        if (
            self.environment != "local"
            and self.campaigns_smtp_password is not None
            and self.campaigns_smtp_tls == "none"
        ):
            raise ValueError(
                "LISTFLOW_CAMPAIGNS_SMTP_TLS must be starttls or tls when the relay takes a "
                f"password outside local runs (LISTFLOW_ENVIRONMENT={self.environment})"
            )
        return self
