"""Settings of the leads service (environment variables prefixed LISTFLOW_)."""

from listflow.kit.settings import CommonSettings


class Settings(CommonSettings):
    leads_http_port: int = 8103
    leads_batch_size: int = 1000
    leads_consumer_group: str = "listflow-leads"
    # How often deferred leads are checked for an open calling window.
    leads_release_every_s: float = 5.0
    leads_default_region: str = "US"

    @property
    def database(self) -> str:
        return f"{self.database_prefix}leads"
