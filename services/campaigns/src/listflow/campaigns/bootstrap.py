"""The one place that wires the campaigns service's real adapters."""

from dataclasses import dataclass

from listflow.campaigns.adapters.mongo_repository import MongoTemplateRepository
from listflow.campaigns.config import Settings
from listflow.campaigns.handlers import Templates
from listflow.campaigns.ports import TemplateRepository
from listflow.kit.clock import Clock
from listflow.kit.container import BaseContainer, infrastructure, utc_now
from opentelemetry.sdk.trace import TracerProvider

SERVICE = "campaigns"


@dataclass
class Container(BaseContainer[Settings]):
    templates_repository: TemplateRepository
    templates: Templates
    clock: Clock


def bootstrap(
    settings: Settings | None = None,
    *,
    tracer_provider: TracerProvider | None = None,
    templates_repository: TemplateRepository | None = None,
    clock: Clock = utc_now,
) -> Container:
    settings = settings or Settings()
    infra = infrastructure(settings, SERVICE, tracer_provider)
    repository = templates_repository or MongoTemplateRepository(infra.mongo[settings.database])
    return Container(
        settings=settings,
        broker=infra.broker,
        publisher=infra.publisher,
        mongo=infra.mongo,
        templates_repository=repository,
        templates=Templates(repository, clock),
        clock=clock,
    )
