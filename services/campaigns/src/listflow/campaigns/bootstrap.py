"""The one place that wires the campaigns service's real adapters."""

from dataclasses import dataclass

from listflow.campaigns.adapters.mongo_repository import MongoSuppressions, MongoTemplateRepository
from listflow.campaigns.adapters.sms_provider import HttpSmsSender
from listflow.campaigns.config import Settings
from listflow.campaigns.handlers import Templates
from listflow.campaigns.ports import SmsSender, SuppressionRepository, TemplateRepository
from listflow.campaigns.sms import SmsInbound, SmsStatuses, Suppressions
from listflow.kit.clock import Clock
from listflow.kit.container import BaseContainer, infrastructure, utc_now
from listflow.kit.webhooks import Webhook
from listflow.schemas.normalize import PhoneNormalizer
from opentelemetry.sdk.trace import TracerProvider

SERVICE = "campaigns"


@dataclass
class Container(BaseContainer[Settings]):
    templates_repository: TemplateRepository
    templates: Templates
    suppressions_repository: SuppressionRepository
    suppressions: Suppressions
    sms: SmsSender
    sms_webhook: Webhook
    sms_inbound: SmsInbound
    # The status callbacks move the ledger: wired once the ledger's repository is.
    sms_statuses: SmsStatuses | None
    clock: Clock


def bootstrap(
    settings: Settings | None = None,
    *,
    tracer_provider: TracerProvider | None = None,
    templates_repository: TemplateRepository | None = None,
    suppressions_repository: SuppressionRepository | None = None,
    sms: SmsSender | None = None,
    sms_statuses: SmsStatuses | None = None,
    clock: Clock = utc_now,
) -> Container:
    settings = settings or Settings()
    infra = infrastructure(settings, SERVICE, tracer_provider)
    database = infra.mongo[settings.database]
    repository = templates_repository or MongoTemplateRepository(database)
    suppressions = suppressions_repository or MongoSuppressions(database)
    phones = PhoneNormalizer(settings.campaigns_default_phone_region)
    sender = sms or HttpSmsSender.connect(
        settings.campaigns_sms_provider_url,
        settings.campaigns_sms_provider_key.get_secret_value(),
        sender=settings.campaigns_sms_from,
        status_callback_url=f"{settings.campaigns_sms_callback_url.rstrip('/')}/hooks/sms/status",
        timeout_s=settings.campaigns_sms_timeout_s,
    )

    async def help_text(tenant_id: str) -> str:
        # The tenant's own text joins from its campaign settings when they are wired here.
        return settings.campaigns_sms_help_default

    return Container(
        settings=settings,
        broker=infra.broker,
        publisher=infra.publisher,
        mongo=infra.mongo,
        templates_repository=repository,
        templates=Templates(repository, clock),
        suppressions_repository=suppressions,
        suppressions=Suppressions(suppressions, phones, clock),
        sms=sender,
        sms_webhook=Webhook(settings.campaigns_sms_webhook_secret.get_secret_value()),
        sms_inbound=SmsInbound(suppressions, help_text, phones, clock),
        sms_statuses=sms_statuses,
        clock=clock,
    )
