"""Process entrypoint of the leads service: HTTP API, Kafka consumers and the scheduler that
queues deferred leads when their calling window opens."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from listflow.kit.container import run_service, service_app
from listflow.kit.logging import get_logger
from listflow.kit.service import connected, running
from listflow.leads.bootstrap import SERVICE, Container, bootstrap
from listflow.leads.config import Settings
from listflow.leads.entrypoints import api, consumer
from listflow.schemas import topics
from listflow.schemas.events import RowOutcomes
from listflow.schemas.leads import LeadCreated, LeadQueued, LeadWithdrawn

_log = get_logger(__name__)


def _document_publishers(container: Container) -> None:
    """Declare what leads publishes, so that its AsyncAPI document describes it."""
    broker = container.broker
    broker.publisher(
        topics.LEAD_QUEUE.name,
        title="leads/queue",
        schema=LeadQueued | LeadWithdrawn,
        description="What dialers dial. Keyed by lead id; header campaign_id. LeadQueued "
        "(ce_id = queue_id, one per lead, campaign, cycle and attempt: dial each once) and "
        "LeadWithdrawn (stop dialing that queue_id). Answer on leads.dial-outcomes.v1.",
    )
    broker.publisher(
        topics.LEAD_CHANGES.name,
        title="leads/changes",
        schema=LeadCreated,
        description="LeadCreated, LeadUpdated, LeadMigrated (snapshot) and LeadDeleted, keyed "
        "by lead id; ce_id is '<lead id>:<version>'.",
    )
    broker.publisher(
        topics.ROW_OUTCOMES.name,
        title="leads/row-outcomes",
        schema=RowOutcomes,
        description="What happened to each row of an upload into a lead list.",
    )


def create_app(container: Container, *, scheduler: bool = True) -> FastAPI:
    consumer.register(container)
    _document_publishers(container)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await container.repository.ensure_indexes()
        await container.repository.repair_documents()
        every = container.settings.leads_release_every_s
        async with (
            connected(container.publisher, container.broker, container.mongo),
            running(container.queue.release_forever(every) if scheduler else None),
        ):
            _log.info("leads service started")
            yield

    app = service_app(
        container,
        title="Listflow leads",
        description="Dialer lead lists, campaign assignment, do-not-call and the lead queue.",
        lifespan=lifespan,
        routers=api.routers,
    )
    return app


def run() -> None:
    run_service(SERVICE, Settings(), bootstrap, create_app)


if __name__ == "__main__":
    run()
