"""The one place that wires the ingest service's real adapters."""

from dataclasses import dataclass

from listflow.ingest.adapters import reader
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
from listflow.ingest.handlers.accept import Accept
from listflow.ingest.handlers.files import UploadFiles
from listflow.ingest.handlers.imports import Imports
from listflow.ingest.handlers.outcomes import Outcomes
from listflow.ingest.handlers.planning import Planner
from listflow.ingest.handlers.preview import Previews
from listflow.ingest.handlers.reconcile import Reconciler
from listflow.ingest.handlers.saved_mappings import SavedMappingOptions
from listflow.ingest.ports import (
    ContactMatches,
    IngestEventSink,
    LeadLists,
    PreviewRepository,
    SavedMappings,
    UploadStore,
)
from listflow.kit.clock import Clock
from listflow.kit.container import BaseContainer, infrastructure, utc_now
from listflow.kit.pii import Protector
from opentelemetry.sdk.trace import TracerProvider

SERVICE = "ingest"


@dataclass(frozen=True)
class UseCases:
    accept: Accept
    imports: Imports
    outcomes: Outcomes
    reconciler: Reconciler
    previews: Previews


def use_cases(
    *,
    repository: UploadStore,
    events: IngestEventSink,
    files: UploadFiles,
    mappings: SavedMappings,
    previews: PreviewRepository,
    contacts: ContactMatches,
    lead_lists: LeadLists | None,
    default_region: str,
    protector: Protector,
    clock: Clock,
    preview_concurrency: int = 2,
) -> UseCases:
    """The use cases on any adapters of the ports (the real ones below; fakes in tests)."""
    planner = Planner(default_region=default_region)
    saved = SavedMappingOptions(mappings)
    outcomes = Outcomes(repository=repository, events=events, clock=clock)
    imports = Imports(
        repository=repository,
        events=events,
        files=files,
        planner=planner,
        saved_mappings=saved,
        outcomes=outcomes,
        clock=clock,
        lead_lists=lead_lists,
    )
    return UseCases(
        accept=Accept(
            repository=repository,
            events=events,
            files=files,
            planner=planner,
            imports=imports,
            protector=protector,
            clock=clock,
        ),
        imports=imports,
        outcomes=outcomes,
        reconciler=Reconciler(
            repository=repository, imports=imports, outcomes=outcomes, clock=clock
        ),
        previews=Previews(
            uploads=repository,
            store=previews,
            contacts=contacts,
            files=files,
            planner=planner,
            saved_mappings=saved,
            clock=clock,
            concurrency=preview_concurrency,
        ),
    )


@dataclass
class Container(BaseContainer[Settings]):
    repository: UploadStore
    mappings: MappingRepository
    files: UploadFiles
    accept: Accept
    imports: Imports
    outcomes: Outcomes
    reconciler: Reconciler
    previews: Previews


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
    mappings = MappingRepository(database)
    settings.ingest_spool_dir.mkdir(parents=True, exist_ok=True)
    secret = settings.pii_secret.get_secret_value()
    files = UploadFiles(
        files=FileStore(database),
        reader=reader,
        checks=CheckerPool(settings.ingest_check_workers, secret),
        spool_dir=settings.ingest_spool_dir,
        limits=ReadLimits(
            max_columns=settings.ingest_max_columns,
            max_cell_chars=settings.ingest_max_cell_chars,
            max_uncompressed_bytes=settings.ingest_max_uncompressed_bytes,
        ),
        batch_rows=settings.ingest_batch_rows,
        max_rows=settings.ingest_max_rows,
    )
    wired = use_cases(
        repository=repository,
        events=IngestEvents(infra.publisher),
        files=files,
        mappings=mappings,
        previews=PreviewStore(database),
        contacts=ContactsClient(settings.ingest_contacts_url),
        lead_lists=LeadListClient(settings.ingest_leads_url),
        default_region=settings.ingest_default_region,
        # Hand-entered records are checked with the same secret as the checker processes.
        protector=Protector(secret),
        clock=clock,
        preview_concurrency=settings.ingest_preview_concurrency,
    )
    return Container(
        infra=infra,
        repository=repository,
        mappings=mappings,
        files=files,
        accept=wired.accept,
        imports=wired.imports,
        outcomes=wired.outcomes,
        reconciler=wired.reconciler,
        previews=wired.previews,
    )
