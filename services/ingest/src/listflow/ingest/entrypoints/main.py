"""Process entrypoint of the ingest service: HTTP gateway API and Kafka consumer in one process."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from listflow.ingest.bootstrap import SERVICE, Container, bootstrap
from listflow.ingest.config import Settings
from listflow.ingest.entrypoints import (
    api,
    consumer,
    mappings_api,
    preview_api,
    records_api,
    reports_api,
    templates_api,
)
from listflow.kit.container import run_service, service_app
from listflow.kit.logging import get_logger
from listflow.kit.service import connected, running
from listflow.schemas import topics
from listflow.schemas.events import ContactRowParsed, ListReady, UploadCompleted
from listflow.schemas.leads import LeadRowParsed

_log = get_logger(__name__)


def _document_publishers(container: Container) -> None:
    """Declare what ingest publishes, so that its AsyncAPI document describes it."""
    broker = container.broker
    broker.publisher(
        topics.UPLOADS.name,
        title="ingest/uploads",
        schema=UploadCompleted,
        description="Upload lifecycle: UploadAccepted, UploadStarted, UploadParsed, "
        "UploadCancelled, UploadCompleted (header ce_type names the event).",
    )
    broker.publisher(
        topics.CONTACT_ROWS.name,
        title="ingest/contact-rows",
        schema=ContactRowParsed,
        description="One valid row bound for a contact group, keyed by match value.",
    )
    broker.publisher(
        topics.LEAD_ROWS.name,
        title="ingest/lead-rows",
        schema=LeadRowParsed,
        description="One valid row bound for a lead list, keyed by its first phone (E.164).",
    )
    broker.publisher(
        topics.LISTS_READY.name,
        title="lists/ready",
        schema=ListReady,
        description="A list finished importing, keyed by list id.",
    )


def create_app(container: Container) -> FastAPI:
    consumer.register(container)
    _document_publishers(container)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await container.repository.ensure_indexes()
        await container.mappings.ensure_indexes()
        async with (
            connected(container.publisher, container.broker, container.mongo),
            running(container.reconciler.forever()),
        ):
            container.files.checks.start()
            _log.info("ingest service started")
            try:
                yield
            finally:
                await container.imports.stop_all()
                await container.previews.stop_all()

    app = service_app(
        container,
        title="Listflow ingest",
        description="Upload gateway: files in, validated rows out as events; progress, reports.",
        lifespan=lifespan,
        routers=[
            records_api.router,
            api.router,
            preview_api.router,
            reports_api.router,
            templates_api.router,
            mappings_api.router,
        ],
    )
    return app


def run() -> None:
    run_service(SERVICE, Settings(), bootstrap, create_app)


if __name__ == "__main__":
    run()
