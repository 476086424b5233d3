"""The queue use cases on the in-memory fake: calling windows decide queued or deferred,
deferred entries are released in due order when their window opens, each entry is made and
published once, switches withdraw, and do-not-call numbers are never dialed."""

from dataclasses import replace
from datetime import UTC, datetime, time

import pytest
from listflow.kit.errors import Invalid, NotFound
from listflow.leads.domain.windows import CallingHours
from listflow.schemas.events import Counts, ListReady
from listflow.schemas.leads import LeadStatus
from listflow.schemas.values import TargetKind

from .conftest import TENANT, Wired, campaign, dialable_list, lead

NINE_TO_FIVE = CallingHours(start=time(9), end=time(17))


def ready(list_id: str, kind: TargetKind = TargetKind.LEAD_LIST) -> ListReady:
    return ListReady(
        tenant_id=TENANT,
        list_kind=kind,
        list_id=list_id,
        list_name=list_id,
        upload_id="u1",
        counts=Counts(total=1, imported=1),
        ready_at=datetime(2026, 3, 2, 12, 0, tzinfo=UTC),
    )


async def test_leads_wait_for_their_local_window_and_are_released_in_due_order(
    wired: Wired,
) -> None:
    calls = campaign("c1", "Calls", NINE_TO_FIVE)
    item = await dialable_list(wired, "L", calls)
    # Monday 12:00 UTC: 06:00 in Chicago, 07:00 in New York, 12:00 in UTC, 21:00 in Tokyo.
    await wired.repository.save_leads(
        [
            lead("chicago", "L", "+13125550100", tz="America/Chicago"),
            lead("ny", "L", "+12125550100", tz="America/New_York"),
            lead("utc", "L", "+442075550100", tz="UTC"),
            lead("tokyo", "L", "+81355550100", tz="Asia/Tokyo"),
        ],
        [],
    )
    assert await wired.use.queue.queue_list(item) == 4

    [now] = wired.events.queued_events
    assert (now.lead_id, now.attempt) == ("utc", 1)
    assert now.call_window_ends_at == datetime(2026, 3, 2, 17, 0, tzinfo=UTC)
    due = {e["lead_id"]: e["due_at"] for e in wired.repository.queue.values()}
    assert due["ny"] == datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
    assert due["chicago"] == datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
    assert due["tokyo"] == datetime(2026, 3, 3, 0, 0, tzinfo=UTC)  # Tuesday 09:00 in Tokyo
    statuses = {i: x.status for i, x in wired.repository.leads.items()}
    assert statuses == {
        "utc": LeadStatus.QUEUED,
        "ny": LeadStatus.DEFERRED,
        "chicago": LeadStatus.DEFERRED,
        "tokyo": LeadStatus.DEFERRED,
    }

    wired.clock.now = datetime(2026, 3, 2, 13, 59, tzinfo=UTC)
    assert await wired.use.queue.release_due() == 0
    wired.clock.now = datetime(2026, 3, 2, 15, 30, tzinfo=UTC)
    assert await wired.use.queue.release_due() == 2
    assert await wired.use.queue.release_due() == 0  # released once
    assert [e.lead_id for e in wired.events.queued_events] == ["utc", "ny", "chicago"]
    assert wired.repository.leads["chicago"].status is LeadStatus.QUEUED
    # Tuesday 08:30 UTC is 17:30 in Tokyo: due, but the window closed; it waits for Wednesday.
    wired.clock.now = datetime(2026, 3, 3, 8, 30, tzinfo=UTC)
    assert await wired.use.queue.release_due() == 0
    [tokyo] = [e for e in wired.repository.queue.values() if e["lead_id"] == "tokyo"]
    assert (tokyo["state"], tokyo["due_at"]) == ("deferred", datetime(2026, 3, 4, 0, 0, tzinfo=UTC))
    wired.clock.now = datetime(2026, 3, 4, 0, 0, tzinfo=UTC)
    assert await wired.use.queue.release_due() == 1
    assert wired.events.queued_events[-1].lead_id == "tokyo"


async def test_a_redelivered_list_ready_queues_nothing_more(wired: Wired) -> None:
    calls = campaign("c1", "Calls")
    await dialable_list(wired, "L", calls)
    await wired.repository.set_list(TENANT, "L", {"ready": False})
    await wired.repository.save_leads([lead("a", "L", "+14155550100")], [])

    assert await wired.use.queue.on_list_ready(ready("L", TargetKind.GROUP)) == 0
    assert await wired.use.queue.on_list_ready(ready("L")) == 1
    assert await wired.use.queue.on_list_ready(ready("L")) == 0
    assert [e.lead_id for e in wired.events.queued_events] == ["a"]
    assert len(wired.repository.queue) == 1


async def test_only_a_dialable_list_is_queued_and_disabling_withdraws_it(wired: Wired) -> None:
    calls = campaign("c1", "Calls")
    item = await dialable_list(wired, "L", calls)
    item = await wired.use.queue.set_enabled(item, False)
    await wired.repository.save_leads([lead("a", "L", "+14155550100")], [])
    assert await wired.use.queue.queue_list(item) == 0
    assert wired.events.queued_events == []

    item = await wired.use.queue.set_enabled(item, True)
    [queued] = wired.events.queued_events
    assert wired.repository.leads["a"].status is LeadStatus.QUEUED

    await wired.use.queue.set_enabled(item, False)
    [withdrawn] = wired.events.withdrawn_events
    assert (withdrawn.queue_id, withdrawn.reason) == (queued.queue_id, "list disabled")
    assert wired.repository.leads["a"].status is LeadStatus.NEW


async def test_a_lead_past_the_campaigns_attempts_is_not_queued(wired: Wired) -> None:
    item = await dialable_list(wired, "L", campaign("c1", "Calls", max_attempts=2))
    spent = replace(lead("spent", "L", "+14155550100"), attempts=2, status=LeadStatus.DIALED)
    await wired.repository.save_leads([spent, lead("fresh", "L", "+14155550101")], [])
    assert await wired.use.queue.queue_list(item) == 1
    assert [e.lead_id for e in wired.events.queued_events] == ["fresh"]


async def test_blocked_numbers_are_never_dialed(wired: Wired) -> None:
    calls = campaign("c1", "Calls")
    item = await dialable_list(wired, "L", calls)
    await wired.repository.add_dnc(TENANT, ["+14155550101"], wired.clock(), "operator")
    both = lead("both", "L", "+14155550100", "+14155550101")
    await wired.repository.save_leads([both, lead("blocked", "L", "+14155550101")], [])

    assert await wired.use.queue.queue_list(item) == 1
    [queued] = wired.events.queued_events
    assert (queued.lead_id, queued.phones) == ("both", ("+14155550100",))
    assert wired.repository.leads["blocked"].status is LeadStatus.DNC


async def test_adding_a_number_to_do_not_call_requeues_without_it_or_suppresses(
    wired: Wired,
) -> None:
    calls = campaign("c1", "Calls")
    await dialable_list(wired, "L", calls)
    two = lead("two", "L", "+14155550100", "+14155550101")
    await wired.repository.save_leads([two, lead("one", "L", "+14155550100")], [])
    await wired.use.queue.queue_list(await wired.use.lists.get_list(TENANT, "L"))
    before = {e.lead_id: e.queue_id for e in wired.events.queued_events}

    added, suppressed = await wired.use.dnc.add(
        TENANT, ["(415) 555-0100", "+1 415 555 0100"], "US", "asked"
    )
    assert (added, suppressed) == (["+14155550100"], 1)
    assert {w.queue_id for w in wired.events.withdrawn_events} == set(before.values())
    [again] = wired.events.queued_events[len(before) :]
    assert again.lead_id == "two"
    assert again.phones == ("+14155550101",)
    assert again.queue_id != before["two"]
    assert wired.repository.leads["one"].status is LeadStatus.DNC


async def test_do_not_call_numbers_that_do_not_parse_are_named_and_none_is_added(
    wired: Wired,
) -> None:
    with pytest.raises(Invalid) as refused:
        await wired.use.dnc.add(TENANT, ["+14155550100", "not a number"], "US", "operator")
    assert [e["location"] for e in refused.value.extensions["errors"]] == ["phones.1"]
    assert wired.repository.dnc == {}
    with pytest.raises(NotFound):
        await wired.use.dnc.remove(TENANT, "+14155550100", "US")
