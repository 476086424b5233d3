"""Process entrypoint of the campaigns service: the HTTP API (message templates so far)."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from listflow.campaigns.adapters.mongo_repository import MongoSuppressions, MongoTemplateRepository
from listflow.campaigns.adapters.sms_provider import HttpSmsSender
from listflow.campaigns.bootstrap import SERVICE, Container, bootstrap
from listflow.campaigns.config import Settings
from listflow.campaigns.entrypoints import sms_hooks, suppressions_api, templates_api
from listflow.kit.container import run_service, service_app
from listflow.kit.logging import get_logger
from listflow.kit.service import connected

_log = get_logger(__name__)


def create_app(container: Container) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if isinstance(container.templates_repository, MongoTemplateRepository):
            await container.templates_repository.ensure_indexes()
        if isinstance(container.suppressions_repository, MongoSuppressions):
            await container.suppressions_repository.ensure_indexes()
        async with connected(container.publisher, container.broker, container.mongo):
            _log.info("campaigns service started")
            yield
        if isinstance(container.sms, HttpSmsSender):
            await container.sms.close()

    return service_app(
        container,
        title="Listflow campaigns",
        description="Message templates (email and SMS), the suppression list, the SMS provider's "
        "webhooks and, next, the campaigns that send them.",
        lifespan=lifespan,
        routers=[templates_api.router, suppressions_api.router, sms_hooks.router],
    )


def run() -> None:
    run_service(SERVICE, Settings(), bootstrap, create_app)


if __name__ == "__main__":
    run()
