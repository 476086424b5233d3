"""The one place that wires the ingest service's real adapters."""

from dataclasses import dataclass

from listflow.ingest.adapters.checker_pool import CheckerPool
from listflow.ingest.adapters.contacts_client import ContactsClient
from listflow.ingest.adapters.file_store import FileStore
from listflow.ingest.adapters.kafka_events import IngestEvents
from listflow.ingest.adapters.leads_client import LeadListClient
from listflow.ingest.adapters.mapping_repository import MappingRepository
from listflow.ingest.adapters.mongo_repository import MongoUploadRepository
from listflow.ingest.adapters.preview_store import PreviewStore
from listflow.ingest.config import Settings
from listflow.ingest.domain.file_rows import ReadLimits
from listflow.ingest.handlers import Ingest
from listflow.ingest.ports import UploadStore
from listflow.ingest.previews import Previews
from listflow.kit.clock import Clock
from listflow.kit.container import BaseContainer, infrastructure, utc_now
from listflow.kit.pii import Protector
from opentelemetry.sdk.trace import TracerProvider

SERVICE = "ingest"


@dataclass
class Container(BaseContainer[Settings]):
    repository: UploadStore
    ingest: Ingest
    previews: Previews
    mappings: MappingRepository


def bootstrap(
    settings: Settings | None = None,
    *,
    tracer_provider: TracerProvider | None = None,
    clock: Clock = utc_now,
) -> Container:
    settings = settings or Settings()
    infra = infrastructure(settings, SERVICE, tracer_provider)
    database = infra.mongo[settings.database]
    repository = MongoUploadRepository(database)
    settings.ingest_spool_dir.mkdir(parents=True, exist_ok=True)
    ingest = Ingest(
        repository=repository,
        files=FileStore(database),
        events=IngestEvents(infra.publisher),
        protector=Protector(settings.pii_secret.get_secret_value()),
        spool_dir=settings.ingest_spool_dir,
        limits=ReadLimits(
            max_columns=settings.ingest_max_columns,
            max_cell_chars=settings.ingest_max_cell_chars,
            max_uncompressed_bytes=settings.ingest_max_uncompressed_bytes,
        ),
        batch_rows=settings.ingest_batch_rows,
        max_rows=settings.ingest_max_rows,
        default_region=settings.ingest_default_region,
        checks=CheckerPool(settings.ingest_check_workers, settings.pii_secret.get_secret_value()),
        clock=clock,
        lead_lists=LeadListClient(settings.ingest_leads_url),
    )
    previews = Previews(
        ingest=ingest,
        uploads=repository,
        store=PreviewStore(database),
        contacts=ContactsClient(settings.ingest_contacts_url),
        concurrency=settings.ingest_preview_concurrency,
    )
    return Container(
        settings,
        infra.broker,
        infra.publisher,
        infra.mongo,
        repository,
        ingest,
        previews,
        MappingRepository(database),
    )
