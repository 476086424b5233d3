"""The one place that wires the leads service's real adapters."""

from dataclasses import dataclass

from listflow.kit.clock import Clock
from listflow.kit.container import BaseContainer, infrastructure, utc_now
from listflow.leads.adapters.kafka_events import LeadEvents
from listflow.leads.adapters.mongo_repository import MongoLeadRepository
from listflow.leads.config import Settings
from listflow.leads.handlers.dnc import DoNotCall
from listflow.leads.handlers.holds import Holds
from listflow.leads.handlers.outcomes import Outcomes
from listflow.leads.handlers.queue import Queue
from listflow.leads.handlers.rows import Rows
from listflow.leads.manage import Lists
from listflow.leads.ports import LeadEventPublisher, LeadRepository
from opentelemetry.sdk.trace import TracerProvider

SERVICE = "leads"


@dataclass(frozen=True)
class UseCases:
    queue: Queue
    rows: Rows
    outcomes: Outcomes
    dnc: DoNotCall
    lists: Lists
    holds: Holds


def use_cases(repository: LeadRepository, events: LeadEventPublisher, clock: Clock) -> UseCases:
    """The use cases on any adapters of the ports (the real ones below; fakes in tests)."""
    queue = Queue(repository=repository, events=events, clock=clock)
    return UseCases(
        queue=queue,
        rows=Rows(repository=repository, events=events, clock=clock, queue=queue),
        outcomes=Outcomes(repository=repository, events=events, clock=clock, queue=queue),
        dnc=DoNotCall(repository=repository, clock=clock, queue=queue),
        lists=Lists(repository=repository, events=events, queue=queue),
        holds=Holds(repository=repository, clock=clock, queue=queue),
    )


@dataclass
class Container(BaseContainer[Settings]):
    # The Mongo adapter itself: the process start creates its indexes and repairs documents.
    repository: MongoLeadRepository
    events: LeadEventPublisher
    clock: Clock
    queue: Queue
    rows: Rows
    outcomes: Outcomes
    dnc: DoNotCall
    lists: Lists
    holds: Holds


def bootstrap(
    settings: Settings | None = None,
    *,
    tracer_provider: TracerProvider | None = None,
    clock: Clock = utc_now,
) -> Container:
    """Production wiring; tests pass their own clock (calling windows, retry times)."""
    settings = settings or Settings()
    infra = infrastructure(settings, SERVICE, tracer_provider)
    repository = MongoLeadRepository(infra.mongo[settings.database])
    events = LeadEvents(infra.publisher)
    wired = use_cases(repository, events, clock)
    return Container(
        infra=infra,
        repository=repository,
        events=events,
        clock=clock,
        queue=wired.queue,
        rows=wired.rows,
        outcomes=wired.outcomes,
        dnc=wired.dnc,
        lists=wired.lists,
        holds=wired.holds,
    )
