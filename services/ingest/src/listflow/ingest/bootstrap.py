"""The one place that wires the ingest service's real adapters."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from faststream.kafka import KafkaBroker
from listflow.ingest.adapters.checker_pool import CheckerPool
from listflow.ingest.adapters.contacts_client import ContactsClient
from listflow.ingest.adapters.file_store import FileStore
from listflow.ingest.adapters.kafka_events import IngestEvents
from listflow.ingest.adapters.leads_client import LeadListClient
from listflow.ingest.adapters.mapping_repository import MappingRepository
from listflow.ingest.adapters.mongo_repository import UploadRepository
from listflow.ingest.adapters.preview_store import PreviewStore
from listflow.ingest.config import Settings
from listflow.ingest.domain.reader import ReadLimits
from listflow.ingest.handlers import Ingest
from listflow.ingest.previews import Previews
from listflow.kit.kafka import EventPublisher, make_broker
from listflow.kit.mongo import Document, make_client
from listflow.kit.pii import Protector
from opentelemetry.sdk.trace import TracerProvider
from pymongo import AsyncMongoClient

SERVICE = "ingest"


@dataclass
class Container:
    settings: Settings
    broker: KafkaBroker
    publisher: EventPublisher
    mongo: AsyncMongoClient[Document]
    repository: UploadRepository
    ingest: Ingest
    previews: Previews
    mappings: MappingRepository


def bootstrap(
    settings: Settings | None = None,
    *,
    tracer_provider: TracerProvider | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> Container:
    settings = settings or Settings()
    broker = make_broker(settings.kafka_bootstrap, SERVICE, tracer_provider)
    publisher = EventPublisher(settings.kafka_bootstrap, SERVICE, tracer_provider)
    mongo = make_client(settings.mongodb_url)
    database = mongo[settings.database]
    repository = UploadRepository(database)
    settings.ingest_spool_dir.mkdir(parents=True, exist_ok=True)
    ingest = Ingest(
        repository=repository,
        files=FileStore(database),
        events=IngestEvents(publisher),
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
        broker,
        publisher,
        mongo,
        repository,
        ingest,
        previews,
        MappingRepository(database),
    )
