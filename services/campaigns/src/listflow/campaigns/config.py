"""Settings of the campaigns service (environment variables prefixed LISTFLOW_)."""

from listflow.kit.settings import CommonSettings


class Settings(CommonSettings):
    campaigns_http_port: int = 8104
    campaigns_consumer_group: str = "listflow-campaigns"
    # Contact changes and link events per batch of the read-model consumers.
    campaigns_changes_batch_size: int = 500
    # The public base URL customers' unsubscribe links point at (the gateway locally).
    campaigns_public_url: str = "http://127.0.0.1:8000"
    campaigns_smtp_host: str = "127.0.0.1"
    campaigns_smtp_port: int = 1025
    campaigns_smtp_connections: int = 4
    campaigns_from_address: str = "Listflow <noreply@listflow.invalid>"
    campaigns_unsubscribe_mailbox_domain: str = "listflow.invalid"
    # How often the dispatcher looks for due messages.
    campaigns_dispatch_every_s: float = 0.5
    campaigns_dispatch_batch: int = 500
    # How long a ListReady waits for the contact read model to catch up before it is retried.
    campaigns_barrier_timeout_s: float = 60.0

    @property
    def database(self) -> str:
        return f"{self.database_prefix}campaigns"
