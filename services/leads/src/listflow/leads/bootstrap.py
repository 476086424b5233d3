"""The one place that wires the leads service's real adapters."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from listflow.kit.container import BaseContainer, infrastructure, utc_now
from listflow.leads.adapters.kafka_events import LeadEvents
from listflow.leads.adapters.mongo_repository import MongoLeadRepository
from listflow.leads.config import Settings
from listflow.leads.handlers import Leads
from listflow.leads.manage import Lists
from opentelemetry.sdk.trace import TracerProvider

SERVICE = "leads"


@dataclass
class Container(BaseContainer[Settings]):
    repository: MongoLeadRepository
    leads: Leads
    lists: Lists
    clock: Callable[[], datetime]


def bootstrap(
    settings: Settings | None = None,
    *,
    tracer_provider: TracerProvider | None = None,
    clock: Callable[[], datetime] = utc_now,
) -> Container:
    """Production wiring; tests pass their own clock (calling windows, retry times)."""
    settings = settings or Settings()
    infra = infrastructure(settings, SERVICE, tracer_provider)
    repository = MongoLeadRepository(infra.mongo[settings.database])
    events = LeadEvents(infra.publisher)
    leads = Leads(repository=repository, events=events, clock=clock)
    return Container(
        settings=settings,
        broker=infra.broker,
        publisher=infra.publisher,
        mongo=infra.mongo,
        repository=repository,
        leads=leads,
        lists=Lists(repository=repository, leads=leads),
        clock=clock,
    )
