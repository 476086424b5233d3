"""The leads use cases wired on the in-memory fakes, with a clock the test moves."""

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from listflow.kit.clock import ManualClock
from listflow.leads.adapters.memory_events import RecordedEvents
from listflow.leads.adapters.memory_repository import InMemoryLeadRepository
from listflow.leads.bootstrap import UseCases, use_cases
from listflow.leads.domain.model import Campaign, Lead, LeadList
from listflow.leads.domain.retry import RetryRules
from listflow.leads.domain.windows import CallingHours
from listflow.schemas.leads import CustomValue, DuplicatePolicy, LeadData, LeadRowParsed
from listflow.schemas.values import Phone, TargetKind, TargetRef

# A Monday at noon UTC: inside every default calling window.
NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
TENANT = "t1"


@dataclass
class Wired:
    use: UseCases
    repository: InMemoryLeadRepository
    events: RecordedEvents
    clock: ManualClock


@pytest.fixture
def wired() -> Wired:
    repository, events, clock = InMemoryLeadRepository(), RecordedEvents(), ManualClock(NOW)
    return Wired(use_cases(repository, events, clock), repository, events, clock)


def lead(lid: str, list_id: str, *phones: str, tz: str = "UTC") -> Lead:
    data = LeadData(name=lid, phones=tuple(Phone(e164=p) for p in phones), time_zone=tz)
    return Lead.new(id=lid, tenant_id=TENANT, list_id=list_id, data=data, now=NOW, source="u:1")


def campaign(
    cid: str, name: str, hours: CallingHours | None = None, max_attempts: int = 3
) -> Campaign:
    return Campaign(
        id=cid,
        tenant_id=TENANT,
        name=name,
        hours=hours or CallingHours(),
        retry=RetryRules(max_attempts=max_attempts),
    )


async def dialable_list(
    wired: Wired, list_id: str, *campaigns: Campaign, time_zone: str = "UTC"
) -> LeadList:
    """An enabled list, ready, assigned to `campaigns` (stored first)."""
    item = LeadList(
        id=list_id, tenant_id=TENANT, name=list_id, enabled=True, ready=True, time_zone=time_zone
    )
    await wired.repository.insert_list(item)
    for c in campaigns:
        await wired.repository.insert_campaign(c)
        item = await wired.use.queue.assign(item, c)
    return item


def row(
    n: int,
    list_id: str,
    *phones: str,
    upload: str = "u1",
    name: str | None = None,
    email: str | None = None,
    scope: str = "list",
    action: str = "skip",
    churn: bool = False,
    custom: dict[str, str] | None = None,
) -> LeadRowParsed:
    return LeadRowParsed(
        tenant_id=TENANT,
        upload_id=upload,
        row_number=n,
        target=TargetRef(kind=TargetKind.LEAD_LIST, id=list_id, name=list_id),
        match_value=phones[0],
        duplicates=DuplicatePolicy.model_validate({"scope": scope, "action": action}),
        churn=churn,
        lead=LeadData(
            name=name,
            email=email,
            phones=tuple(Phone(e164=p) for p in phones),
            custom=tuple(CustomValue(name=k, value=v) for k, v in (custom or {}).items()),
        ),
    )
