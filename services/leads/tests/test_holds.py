"""A customer held by an active promise or plan (a contact snapshot's held_until) is kept out
of the dialer queue: its leads are withdrawn when the hold starts, not queued while it lasts,
and queued again (once) when a snapshot without the hold arrives."""

from datetime import date, timedelta

from listflow.leads.domain.entries import WITHDRAWN
from listflow.schemas.events import ContactDeleted, ContactSnapshot, ContactUpdated
from listflow.schemas.leads import LeadStatus
from listflow.schemas.values import ContactData, Phone

from .conftest import NOW, TENANT, Wired, campaign, dialable_list, lead

HELD_PHONE = "+14155550100"


def change(version: int, held_until: date | None, tenant: str = TENANT) -> ContactUpdated:
    snapshot = ContactSnapshot(
        id="contact-1",
        version=version,
        data=ContactData(phones=(Phone(e164=HELD_PHONE),)),
        created_at=NOW,
        updated_at=NOW,
        held_until=held_until,
        hold_reason="promise" if held_until else None,
    )
    return ContactUpdated(tenant_id=tenant, contact=snapshot)


async def queued(wired: Wired) -> None:
    await dialable_list(wired, "L", campaign("c1", "Calls"))
    await wired.repository.save_leads(
        [lead("held", "L", HELD_PHONE), lead("other", "L", "+14155550199")], []
    )
    await wired.use.queue.queue_list(await wired.use.lists.get_list(TENANT, "L"))
    assert {e.lead_id for e in wired.events.queued_events} == {"held", "other"}


async def test_a_hold_withdraws_the_customers_leads_and_its_end_queues_them_again(
    wired: Wired,
) -> None:
    await queued(wired)
    week = NOW.date() + timedelta(days=7)
    await wired.use.holds.on_contact_changes([change(2, week)])
    [withdrawn] = wired.events.withdrawn_events
    assert (withdrawn.lead_id, withdrawn.reason) == ("held", "arrangement")
    assert wired.repository.leads["held"].status is not LeadStatus.QUEUED
    first = next(e for e in wired.events.queued_events if e.lead_id == "held")

    # While held, queueing the list again leaves the lead out.
    before = len(wired.events.queued_events)
    await wired.use.queue.queue_list(await wired.use.lists.get_list(TENANT, "L"))
    assert len(wired.events.queued_events) == before

    await wired.use.holds.on_contact_changes([change(3, None)])
    [again] = wired.events.queued_events[before:]
    assert again.lead_id == "held" and again.queue_id != first.queue_id
    assert wired.repository.leads["held"].status is LeadStatus.QUEUED

    # A redelivery of either snapshot changes nothing more.
    await wired.use.holds.on_contact_changes([change(2, week), change(3, None)])
    assert len(wired.events.queued_events) == before + 1
    assert len(wired.events.withdrawn_events) == 1


async def test_a_lapsed_hold_another_tenants_hold_or_a_deleted_contact_hold_nothing(
    wired: Wired,
) -> None:
    await queued(wired)
    yesterday = NOW.date() - timedelta(days=1)
    await wired.use.holds.on_contact_changes(
        [change(2, yesterday), change(2, NOW.date() + timedelta(days=3), tenant="t2")]
    )
    deleted = ContactDeleted(
        tenant_id=TENANT, contact=change(3, NOW.date()).contact, deleted_at=NOW
    )
    await wired.use.holds.on_contact_changes([deleted])
    assert wired.events.withdrawn_events == []
    assert all(e["state"] != WITHDRAWN for e in wired.repository.queue.values())
