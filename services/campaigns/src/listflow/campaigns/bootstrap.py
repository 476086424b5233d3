"""The one place that wires the campaigns service's real adapters."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from listflow.campaigns.adapters.kafka_barrier import KafkaReadModelBarrier
from listflow.campaigns.adapters.mongo_repository import MongoCampaignRepository
from listflow.campaigns.config import Settings
from listflow.campaigns.handlers import Campaigns, ReadModels, Templates, Triggers
from listflow.campaigns.ports import CampaignRepository, ReadModelBarrier, SmsSender
from listflow.kit.container import BaseContainer, infrastructure, utc_now
from listflow.schemas import topics
from opentelemetry.sdk.trace import TracerProvider

SERVICE = "campaigns"


@dataclass
class Container(BaseContainer[Settings]):
    repository: CampaignRepository
    templates: Templates
    campaigns: Campaigns
    triggers: Triggers
    read_models: ReadModels
    sms: SmsSender | None
    clock: Callable[[], datetime]


def bootstrap(
    settings: Settings | None = None,
    *,
    tracer_provider: TracerProvider | None = None,
    repository: CampaignRepository | None = None,
    sms: SmsSender | None = None,
    barrier: ReadModelBarrier | None = None,
    clock: Callable[[], datetime] = utc_now,
) -> Container:
    settings = settings or Settings()
    infra = infrastructure(settings, SERVICE, tracer_provider)
    store: CampaignRepository = repository or MongoCampaignRepository(
        infra.mongo[settings.database]
    )
    campaigns = Campaigns(store, clock)
    barrier = barrier or KafkaReadModelBarrier(
        settings.kafka_bootstrap,
        topics.CONTACT_CHANGES.name,
        topics.CONTACT_CHANGES.partitions,
        settings.campaigns_consumer_group,
    )
    return Container(
        settings=settings,
        broker=infra.broker,
        publisher=infra.publisher,
        mongo=infra.mongo,
        repository=store,
        templates=Templates(store, clock),
        campaigns=campaigns,
        triggers=Triggers(campaigns, barrier, settings.campaigns_barrier_timeout_s),
        read_models=ReadModels(store),
        sms=sms,
        clock=clock,
    )
