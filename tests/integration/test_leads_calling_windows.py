"""Calling windows and retry times with an injected clock: the leads use cases wired by
bootstrap(clock=...) against the real FerretDB and Kafka of the test stack."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from listflow.kit.clock import ManualClock
from listflow.leads.bootstrap import Container, bootstrap
from listflow.leads.config import Settings
from listflow.leads.domain.model import Campaign, LeadList
from listflow.leads.domain.retry import RetryRules
from listflow.schemas import topics
from listflow.schemas.events import Counts, ListReady
from listflow.schemas.leads import DialOutcome, DialResult, LeadData, LeadRowParsed
from listflow.schemas.values import Phone, TargetKind, TargetRef

from tests.conftest import PROFILE, Stack
from tests.integration.leads_helpers import new_phone, queued, read_queue_async


@pytest.fixture
async def wired(stack: Stack) -> AsyncIterator[tuple[Container, ManualClock]]:
    # 00:00 in New York on the day US clocks spring forward (02:00 -> 03:00 local).
    clock = ManualClock(datetime(2026, 3, 8, 5, 0, tzinfo=UTC))
    settings = Settings(
        kafka_bootstrap=PROFILE.kafka_bootstrap,
        mongodb_url=PROFILE.mongodb_url,
        database_prefix=f"{stack.database_prefix}clock_",
    )
    container = bootstrap(settings, clock=clock)
    await container.repository.ensure_indexes()
    await container.publisher.start()
    await container.broker.start()
    try:
        yield container, clock
    finally:
        await container.broker.stop()
        await container.publisher.stop()
        await container.mongo.close()


def _row(tenant: str, target: TargetRef, number: int, phone: str, tz: str) -> LeadRowParsed:
    return LeadRowParsed(
        tenant_id=tenant,
        upload_id="clock-upload",
        row_number=number,
        target=target,
        match_value=phone,
        lead=LeadData(name=f"L{number}", phones=(Phone(e164=phone),), time_zone=tz),
    )


async def _entries(container: Container, campaign_id: str) -> dict[str, dict[str, Any]]:
    docs = await container.repository.entries({"campaign_id": campaign_id})
    return {d["lead_id"]: d for d in docs}


async def test_leads_outside_their_hours_wait_for_their_window_and_retry_gaps(
    wired: tuple[Container, ManualClock],
) -> None:
    container, clock = wired
    queue, rows, outcomes = container.queue, container.rows, container.outcomes
    tenant = "clock-tenant"
    lst = LeadList(id="clock-list", tenant_id=tenant, name="Clock list", enabled=True)
    campaign = Campaign(
        id=f"clock-campaign-{new_phone()[-6:]}",
        tenant_id=tenant,
        name="Clock",
        retry=RetryRules(max_attempts=3, gap_minutes={"no_answer": 60}),
    )
    await container.repository.insert_list(lst)
    await container.repository.insert_campaign(campaign)
    await queue.assign(lst, campaign)
    target = TargetRef(kind=TargetKind.LEAD_LIST, id=lst.id, name=lst.name)
    ny, madrid = new_phone("212"), new_phone("646")
    await rows.ingest_rows(
        [
            _row(tenant, target, 1, ny, "America/New_York"),
            _row(tenant, target, 2, madrid, "Europe/Madrid"),
        ]
    )
    await queue.on_list_ready(
        ListReady(
            tenant_id=tenant,
            list_kind=TargetKind.LEAD_LIST,
            list_id=lst.id,
            list_name=lst.name,
            upload_id="clock-upload",
            counts=Counts(total=2, imported=2),
            ready_at=clock.now,
        )
    )
    entries = await _entries(container, campaign.id)
    by_tz = {e["due_at"]: e for e in entries.values()}
    assert {e["state"] for e in entries.values()} == {"deferred"}
    # 08:00 in Madrid (CET, UTC+1) and 08:00 in New York after the jump (EDT, UTC-4).
    assert set(by_tz) == {
        datetime(2026, 3, 8, 7, 0, tzinfo=UTC),
        datetime(2026, 3, 8, 12, 0, tzinfo=UTC),
    }
    stats = await container.repository.count_leads_by({"list_id": lst.id}, "status")
    assert stats == {"deferred": 2}

    clock.now = datetime(2026, 3, 8, 6, 59, tzinfo=UTC)
    assert await queue.release_due() == 0
    clock.now = datetime(2026, 3, 8, 7, 0, tzinfo=UTC)
    assert await queue.release_due() == 1  # Madrid opens
    clock.now = datetime(2026, 3, 8, 11, 59, tzinfo=UTC)
    assert await queue.release_due() == 0
    clock.now = datetime(2026, 3, 8, 12, 0, tzinfo=UTC)
    assert await queue.release_due() == 1  # New York opens
    assert await queue.release_due() == 0  # and only once

    messages = queued(
        await read_queue_async(
            topics.LEAD_QUEUE.name, campaign.id, lambda m: len(queued(m)) >= 2, 120
        )
    )
    assert sorted(q["phones"][0] for q in messages) == sorted([ny, madrid])
    ny_entry = next(q for q in messages if q["phones"][0] == ny)
    # The dialer is told when the lead's legal hours end: 21:00 EDT.
    assert ny_entry["call_window_ends_at"] in ("2026-03-09T01:00:00Z", "2026-03-09T01:00:00+00:00")

    # No answer at 12:05: the next attempt is not before 13:05 (the campaign's gap).
    dialed = datetime(2026, 3, 8, 12, 5, tzinfo=UTC)
    clock.now = dialed
    result = DialOutcome(
        tenant_id=tenant,
        queue_id=ny_entry["queue_id"],
        lead_id=ny_entry["lead_id"],
        campaign_id=campaign.id,
        result=DialResult.NO_ANSWER,
        phone=ny,
        dialed_at=dialed,
    )
    await outcomes.record_outcome(result)
    await outcomes.record_outcome(result)  # redelivered: nothing more
    docs = await container.repository.entries({"lead_id": ny_entry["lead_id"]})
    assert sorted((d["attempt"], d["state"]) for d in docs) == [(1, "dialed"), (2, "deferred")]
    retry = next(d for d in docs if d["attempt"] == 2)
    assert retry["due_at"] == dialed + timedelta(minutes=60)
    clock.now = datetime(2026, 3, 8, 13, 4, tzinfo=UTC)
    assert await queue.release_due() == 0
    clock.now = datetime(2026, 3, 8, 13, 5, tzinfo=UTC)
    assert await queue.release_due() == 1

    # No answer late in the evening: the retry gap ends after hours, so it waits for 08:00.
    late = datetime(2026, 3, 9, 0, 30, tzinfo=UTC)  # 20:30 EDT
    clock.now = late
    second = await container.repository.entries({"lead_id": ny_entry["lead_id"], "attempt": 2})
    await outcomes.record_outcome(
        result.model_copy(update={"queue_id": second[0]["_id"], "dialed_at": late})
    )
    third = await container.repository.entries({"lead_id": ny_entry["lead_id"], "attempt": 3})
    assert third[0]["state"] == "deferred"
    assert third[0]["due_at"] == datetime(2026, 3, 9, 12, 0, tzinfo=UTC)  # 08:00 EDT
    lead = await container.repository.get_lead(tenant, ny_entry["lead_id"])
    assert lead is not None
    assert (lead.attempts, lead.last_result, lead.status.value) == (2, "no_answer", "deferred")


async def test_concurrent_rows_with_the_same_phone_leave_one_lead(
    wired: tuple[Container, ManualClock],
) -> None:
    """The repository race (STYLE lesson 7): eight batches from eight uploads write the same
    new phone into one list at once; phone claims let exactly one create the lead."""
    import asyncio

    from listflow.schemas.leads import DuplicatePolicy

    container, _ = wired
    tenant = "race-tenant"
    lst = LeadList(id=f"race-list-{new_phone()[-6:]}", tenant_id=tenant, name="Race list")
    await container.repository.insert_list(lst)
    target = TargetRef(kind=TargetKind.LEAD_LIST, id=lst.id, name=lst.name)
    phone = new_phone()
    rows = [
        LeadRowParsed(
            tenant_id=tenant,
            upload_id=f"race-{i}",
            row_number=1,
            target=target,
            match_value=phone,
            duplicates=DuplicatePolicy(scope="list", action="skip"),
            lead=LeadData(name=f"R{i}", phones=(Phone(e164=phone),)),
        )
        for i in range(8)
    ]
    batches = await asyncio.gather(*(container.rows.ingest_rows([row]) for row in rows))
    statuses = sorted(b.outcomes[0].status.value for batch in batches for b in batch)
    assert statuses == ["imported"] + ["skipped"] * 7
    leads = [x async for page in container.repository.leads_of_list(tenant, lst.id) for x in page]
    assert len(leads) == 1
