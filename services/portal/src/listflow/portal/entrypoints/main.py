"""Process entrypoint of the portal service: admin API, customer pages and Kafka consumers."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from listflow.kit.container import run_service, service_app, service_app_of
from listflow.kit.logging import get_logger
from listflow.kit.service import connected, running
from listflow.portal.adapters.mongo_repository import MongoPortalRepository
from listflow.portal.bootstrap import SERVICE, Container, bootstrap
from listflow.portal.config import Settings
from listflow.portal.entrypoints import admin_api, consumer, pages, webhooks
from listflow.portal.entrypoints.web import HERE, TokenOutOfPath
from listflow.schemas import topics
from listflow.schemas.payments import PaymentEvent
from listflow.schemas.portal_links import AccessLinkIssued, AccessLinkRevoked

_log = get_logger(__name__)


def _document_publishers(container: Container) -> None:
    """Declare what the portal publishes, so that its AsyncAPI document describes it."""
    container.broker.publisher(
        topics.PORTAL_LINKS.name,
        title="portal/links",
        schema=AccessLinkIssued | AccessLinkRevoked,
        description="A customer's access link issued (with its URL: consumers keep it and "
        "never log it) or revoked, keyed by contact id; ce_id is the link id "
        "('<link id>:revoked' for a revocation). The latest issued_at per contact wins.",
    )
    container.broker.publisher(
        topics.PORTAL_PAYMENTS.name,
        title="portal/payments",
        schema=PaymentEvent,
        description="Payments (received, failed), promises to pay and payment plans, keyed by "
        "account id ('<contact id>:<account number>') so one account's events stay in "
        "order; ce_id is '<payment id>:received' / ':failed', the promise id or the plan id. "
        "No card data, token or national id travels here.",
    )


def create_app(container: Container) -> FastAPI:
    consumer.register(container)
    _document_publishers(container)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if isinstance(container.repository, MongoPortalRepository):
            await container.repository.ensure_indexes()
        every = timedelta(seconds=container.settings.portal_judge_interval_s)
        async with (
            connected(container.publisher, container.broker, container.mongo),
            running(container.selfservice.judge_forever(every)),
        ):
            _log.info("portal service started")
            yield

    app = service_app(
        container,
        title="Listflow portal",
        description="Each customer's own link, identity check, accounts and payments; "
        "the admin API of links and settings.",
        lifespan=lifespan,
        routers=[pages.router, admin_api.router, webhooks.router],
        # One span per request, not three: FastAPI's spans of dependency resolution, the
        # endpoint and serialization cost a customer page a sixth of its CPU and say nothing
        # the request's span and the log lines do not (docs/performance.md, portal pages).
        telemetry={"operation_spans": False},
    )
    app.mount("/p/static", StaticFiles(directory=HERE / "static"), name="static")
    pages.install_page_errors(app, container.secure_headers)
    # Outermost: the token leaves the path before the access log or a trace can see it.
    app.add_middleware(TokenOutOfPath)
    return app


def worker_app() -> FastAPI:
    """The app of one worker process (LISTFLOW_PORTAL_WORKERS > 1): its own container,
    database client, producer and consumers, as a replica of its own."""
    return service_app_of(SERVICE, Settings(), bootstrap, create_app)


def run() -> None:
    settings = Settings()
    run_service(
        SERVICE,
        settings,
        bootstrap,
        create_app,
        workers=settings.portal_workers,
        factory="listflow.portal.entrypoints.main:worker_app",
    )


if __name__ == "__main__":
    run()
