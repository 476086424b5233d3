"""Settings of the contacts service (environment variables prefixed LISTFLOW_)."""

from listflow.kit.settings import CommonSettings
from pydantic import Field


class Settings(CommonSettings):
    contacts_http_port: int = 8102
    contacts_batch_size: int = 2000
    contacts_consumer_group: str = "listflow-contacts"
    # Row consumers in this process, one group: each merges its share of the partitions, so
    # one batch's lookups and writes overlap another's (docs/performance.md).
    contacts_row_consumers: int = Field(default=2, ge=1)
    # Region for phone numbers typed by hand (or searched for) without a country code.
    contacts_default_region: str = "US"

    @property
    def database(self) -> str:
        return f"{self.database_prefix}contacts"
