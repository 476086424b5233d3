"""Settings of the ingest service (environment variables prefixed LISTFLOW_)."""

import os
import tempfile
from pathlib import Path

from listflow.kit.settings import CommonSettings
from pydantic import Field


class Settings(CommonSettings):
    ingest_http_port: int = 8101
    ingest_consumer_group: str = "listflow-ingest"
    ingest_spool_dir: Path = Field(
        default_factory=lambda: Path(tempfile.gettempdir()) / "listflow-ingest"
    )
    ingest_max_upload_bytes: int = 2 * 1024**3
    ingest_max_rows: int = 5_000_000
    ingest_max_columns: int = 500
    ingest_max_cell_chars: int = 32_768
    ingest_max_uncompressed_bytes: int = 1024**3
    # Where ingest asks contacts how many stored contacts a match value finds (preview).
    ingest_contacts_url: str = "http://127.0.0.1:8102"
    ingest_preview_concurrency: int = 2
    ingest_batch_rows: int = 5_000
    ingest_default_region: str = "US"
    # Processes that validate rows (0: a thread of the service process). Validation is pure
    # Python, so more processes use more cores; each costs ~60 MB.
    ingest_check_workers: int = Field(default_factory=lambda: min(os.cpu_count() or 1, 4))
    # Where lead-list targets are resolved (and their custom fields read): the leads API.
    ingest_leads_url: str = "http://127.0.0.1:8103"

    @property
    def database(self) -> str:
        return f"{self.database_prefix}ingest"
