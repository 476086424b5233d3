"""Settings of the portal service (environment variables prefixed LISTFLOW_)."""

from listflow.kit.settings import CommonSettings


class Settings(CommonSettings):
    portal_http_port: int = 8105
    portal_consumer_group: str = "listflow-portal"
    # The public base of customer links (the gateway locally, the Ingress in production):
    # a link is `<portal_public_url>/p/<token>`.
    portal_public_url: str = "http://127.0.0.1:8000"
    portal_changes_batch_size: int = 500
    # A link written but not yet announced (the process died in between) is replaced by a
    # fresh one after this long: its token was never published, so nobody can hold it.
    portal_unpublished_grace_s: float = 30.0

    @property
    def database(self) -> str:
        return f"{self.database_prefix}portal"
