"""The outcomes use case on the in-memory fake: a dial outcome is recorded once on its queue
entry and the lead, the next attempt follows the campaign's retry rules, and a `dnc` outcome
puts the dialed number on the do-not-call list."""

from datetime import datetime, timedelta

from listflow.schemas.leads import DialOutcome, DialResult, LeadQueued, LeadStatus, LeadUpdated

from .conftest import NOW, TENANT, Wired, campaign, dialable_list, lead


async def queued_lead(wired: Wired, max_attempts: int = 3) -> LeadQueued:
    item = await dialable_list(wired, "L", campaign("c1", "Calls", max_attempts=max_attempts))
    await wired.repository.save_leads([lead("a", "L", "+14155550100", "+14155550101")], [])
    await wired.use.queue.queue_list(item)
    [queued] = wired.events.queued_events
    return queued


def outcome(
    queued: LeadQueued,
    result: DialResult,
    *,
    tenant_id: str = TENANT,
    phone: str | None = None,
    callback_at: datetime | None = None,
) -> DialOutcome:
    return DialOutcome(
        tenant_id=tenant_id,
        queue_id=queued.queue_id,
        lead_id=queued.lead_id,
        campaign_id=queued.campaign_id,
        result=result,
        phone=phone,
        dialed_at=NOW,
        callback_at=callback_at,
    )


async def test_an_outcome_is_recorded_exactly_once_and_the_retry_waits_its_gap(
    wired: Wired,
) -> None:
    queued = await queued_lead(wired)
    busy = outcome(queued, DialResult.NO_ANSWER)

    await wired.use.outcomes.record_outcome(busy)
    after_first = wired.repository.leads["a"]
    entries_after_first = dict(wired.repository.queue)
    await wired.use.outcomes.record_outcome(busy)  # redelivered

    entry = wired.repository.queue[queued.queue_id]
    assert (entry["state"], entry["outcome"]) == ("dialed", "no_answer")
    assert (after_first.attempts, after_first.last_result) == (1, "no_answer")
    assert wired.repository.leads["a"] == after_first
    assert wired.repository.queue.keys() == entries_after_first.keys()
    assert len([c for c in wired.events.changes if isinstance(c, LeadUpdated)]) == 1
    [retry] = [e for i, e in wired.repository.queue.items() if i != queued.queue_id]
    assert (retry["attempt"], retry["state"]) == (2, "deferred")
    assert retry["due_at"] == NOW + timedelta(minutes=60)  # the campaign's no_answer gap
    assert after_first.status is LeadStatus.DEFERRED


async def test_a_second_outcome_for_the_same_dial_changes_nothing(wired: Wired) -> None:
    queued = await queued_lead(wired)
    await wired.use.outcomes.record_outcome(outcome(queued, DialResult.NO_ANSWER))
    lead_after = wired.repository.leads["a"]
    await wired.use.outcomes.record_outcome(outcome(queued, DialResult.ANSWERED))
    assert wired.repository.queue[queued.queue_id]["outcome"] == "no_answer"
    assert wired.repository.leads["a"] == lead_after


async def test_an_answered_call_completes_the_lead_and_queues_nothing_more(
    wired: Wired,
) -> None:
    queued = await queued_lead(wired)
    await wired.use.outcomes.record_outcome(outcome(queued, DialResult.ANSWERED))
    assert wired.repository.leads["a"].status is LeadStatus.COMPLETED
    assert list(wired.repository.queue) == [queued.queue_id]
    wired.clock.now = NOW + timedelta(days=1)
    assert await wired.use.queue.release_due() == 0


async def test_the_last_attempt_completes_the_lead(wired: Wired) -> None:
    queued = await queued_lead(wired, max_attempts=1)
    await wired.use.outcomes.record_outcome(outcome(queued, DialResult.BUSY))
    assert wired.repository.leads["a"].status is LeadStatus.COMPLETED
    assert list(wired.repository.queue) == [queued.queue_id]


async def test_a_callback_is_queued_for_the_time_asked(wired: Wired) -> None:
    queued = await queued_lead(wired)
    at = NOW + timedelta(hours=3)
    await wired.use.outcomes.record_outcome(outcome(queued, DialResult.CALLBACK, callback_at=at))
    [retry] = [e for i, e in wired.repository.queue.items() if i != queued.queue_id]
    assert (retry["attempt"], retry["due_at"]) == (2, at)


async def test_a_dnc_outcome_blocks_the_number_dialed(wired: Wired) -> None:
    queued = await queued_lead(wired)
    await wired.use.outcomes.record_outcome(outcome(queued, DialResult.DNC, phone="+14155550101"))
    assert await wired.repository.dnc_of(TENANT, ["+14155550100", "+14155550101"]) == {
        "+14155550101"
    }
    assert wired.repository.leads["a"].status is LeadStatus.DNC


async def test_an_outcome_of_another_tenant_or_an_unknown_entry_changes_nothing(
    wired: Wired,
) -> None:
    queued = await queued_lead(wired)
    before = wired.repository.leads["a"]
    await wired.use.outcomes.record_outcome(
        outcome(queued, DialResult.ANSWERED, tenant_id="another")
    )
    await wired.use.outcomes.record_outcome(
        outcome(queued.model_copy(update={"queue_id": "nope"}), DialResult.ANSWERED)
    )
    assert wired.repository.leads["a"] == before
    assert wired.repository.queue[queued.queue_id]["outcome"] is None


async def test_disabling_after_a_dial_withdraws_only_the_waiting_retry(wired: Wired) -> None:
    queued = await queued_lead(wired)
    await wired.use.outcomes.record_outcome(outcome(queued, DialResult.NO_ANSWER))
    item = await wired.use.lists.get_list(TENANT, "L")
    await wired.use.queue.set_enabled(item, False)
    states = {i: e["state"] for i, e in wired.repository.queue.items()}
    assert states.pop(queued.queue_id) == "dialed"
    assert list(states.values()) == ["withdrawn"]
    assert wired.events.withdrawn_events == []  # the retry was never published
    assert wired.repository.leads["a"].status is LeadStatus.DIALED
