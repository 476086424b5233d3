"""The rows use case on the in-memory fake: rows become leads once, duplicates are found by
any phone within the upload's scope and skipped, updated or migrated, churn resets the dial
state, `unique` custom fields hold, and a redelivered batch writes nothing again."""

from dataclasses import replace
from datetime import timedelta

from listflow.leads.domain.model import LeadList
from listflow.schemas.leads import (
    CustomFieldDefinition,
    LeadCreated,
    LeadMigrated,
    LeadStatus,
    LeadUpdated,
)
from listflow.schemas.values import RowStatus

from .conftest import TENANT, Wired, campaign, dialable_list, lead, row


async def plain_list(wired: Wired, list_id: str, **fields: object) -> LeadList:
    item = LeadList(id=list_id, tenant_id=TENANT, name=list_id, **fields)  # type: ignore[arg-type]
    await wired.repository.insert_list(item)
    return item


async def test_rows_become_leads_once_and_a_redelivered_batch_answers_the_same(
    wired: Wired,
) -> None:
    await plain_list(wired, "L", time_zone="Europe/Madrid")
    batch = [row(1, "L", "+34915550100", name="Ana"), row(2, "L", "+34915550101")]

    [first] = await wired.use.rows.ingest_rows(batch)
    assert [o.status for o in first.outcomes] == [RowStatus.IMPORTED, RowStatus.IMPORTED]
    assert {x.list_id for x in wired.repository.leads.values()} == {"L"}
    ana = wired.repository.leads[first.outcomes[0].record_id or ""]
    assert (ana.data.name, ana.data.time_zone) == ("Ana", "Europe/Madrid")  # the list's zone
    created = [c for c in wired.events.changes if isinstance(c, LeadCreated)]
    assert sorted(c.lead.id for c in created) == sorted(wired.repository.leads)

    [again] = await wired.use.rows.ingest_rows(batch)
    assert again.outcomes == first.outcomes
    assert len(wired.repository.leads) == 2
    assert len(wired.events.changes) == 2  # nothing announced again
    assert wired.events.outcomes == [first, again]


async def test_duplicates_are_found_by_any_phone_within_the_scope(wired: Wired) -> None:
    await plain_list(wired, "L")
    await plain_list(wired, "Other")
    await wired.repository.save_leads([lead("elsewhere", "Other", "+14155550199")], [])
    wired.clock.now += timedelta(minutes=1)  # the rows' leads are newer than `elsewhere`

    [result] = await wired.use.rows.ingest_rows(
        [
            row(1, "L", "+14155550100", "+14155550101"),
            row(2, "L", "+14155550101"),  # shares the first row's second phone
            row(3, "L", "+14155550199"),  # a lead of another list: out of scope `list`
        ]
    )
    first, second, third = result.outcomes
    assert first.status is RowStatus.IMPORTED
    assert (second.status, second.record_id) == (RowStatus.SKIPPED, first.record_id)
    assert second.reason == "duplicate of a lead (scope list)"
    assert third.status is RowStatus.IMPORTED and third.record_id != "elsewhere"

    [tenant_wide] = await wired.use.rows.ingest_rows(
        [row(1, "L", "+14155550199", upload="u2", scope="tenant")]
    )
    assert [(o.status, o.record_id) for o in tenant_wide.outcomes] == [
        (RowStatus.SKIPPED, "elsewhere")  # the first created duplicate wins
    ]


async def test_an_update_keeps_what_the_row_leaves_blank(wired: Wired) -> None:
    await plain_list(wired, "L")
    await wired.use.rows.ingest_rows(
        [row(1, "L", "+14155550100", name="Old", email="old@example.com")]
    )
    [result] = await wired.use.rows.ingest_rows(
        [row(1, "L", "+14155550100", upload="u2", name="New", action="update")]
    )
    [outcome] = result.outcomes
    assert outcome.status is RowStatus.UPDATED
    stored = wired.repository.leads[outcome.record_id or ""]
    assert (stored.data.name, stored.data.email, stored.version) == ("New", "old@example.com", 2)
    [update] = [c for c in wired.events.changes if isinstance(c, LeadUpdated)]
    assert (update.lead.id, update.upload_id) == (stored.id, "u2")

    [again] = await wired.use.rows.ingest_rows(  # redelivered: the same answer, no write
        [row(1, "L", "+14155550100", upload="u2", name="New", action="update")]
    )
    assert again.outcomes == result.outcomes
    assert wired.repository.leads[stored.id].version == 2
    assert len([c for c in wired.events.changes if isinstance(c, LeadUpdated)]) == 1


async def test_migrating_moves_the_lead_and_withdraws_its_queued_attempts(wired: Wired) -> None:
    await dialable_list(wired, "A", campaign("c1", "Calls"))
    await plain_list(wired, "B")
    await wired.repository.save_leads([lead("x", "A", "+14155550100")], [])
    await wired.use.queue.queue_list(await wired.use.lists.get_list(TENANT, "A"))
    [queued] = wired.events.queued_events

    [result] = await wired.use.rows.ingest_rows(
        [row(1, "B", "+14155550100", scope="tenant", action="migrate")]
    )
    assert [(o.status, o.record_id) for o in result.outcomes] == [(RowStatus.UPDATED, "x")]
    assert wired.repository.leads["x"].list_id == "B"
    [moved] = [c for c in wired.events.changes if isinstance(c, LeadMigrated)]
    assert (moved.lead.id, moved.from_list_id, moved.lead.list_id) == ("x", "A", "B")
    [withdrawn] = wired.events.withdrawn_events
    assert withdrawn.queue_id == queued.queue_id
    assert len(wired.events.queued_events) == 1  # B is queued when its upload is ready


async def test_churn_resets_the_dial_state_and_queues_leads_of_other_lists_at_once(
    wired: Wired,
) -> None:
    await dialable_list(wired, "A", campaign("c1", "Calls"))
    await plain_list(wired, "B")
    dialed = replace(
        lead("x", "A", "+14155550100"), attempts=2, status=LeadStatus.DIALED, last_result="busy"
    )
    await wired.repository.save_leads([dialed], [])
    await wired.use.queue.queue_list(await wired.use.lists.get_list(TENANT, "A"))
    [third_attempt] = wired.events.queued_events
    assert third_attempt.attempt == 3

    [result] = await wired.use.rows.ingest_rows(
        [row(1, "B", "+14155550100", scope="tenant", action="skip", churn=True)]
    )
    [outcome] = result.outcomes
    assert outcome.status is RowStatus.SKIPPED
    assert outcome.reason == "duplicate of a lead (scope tenant); dial state reset (churn)"
    churned = wired.repository.leads["x"]
    assert (churned.list_id, churned.attempts, churned.cycle) == ("A", 0, 1)
    assert churned.last_result is None
    # Its own list is dialable: called again from the first attempt, in the new cycle.
    assert [w.queue_id for w in wired.events.withdrawn_events] == [third_attempt.queue_id]
    queued = wired.events.queued_events[-1]
    assert (queued.lead_id, queued.attempt) == ("x", 1)
    assert queued.queue_id != third_attempt.queue_id
    assert churned.status is LeadStatus.QUEUED


async def test_a_unique_custom_field_refuses_a_second_lead_with_the_same_value(
    wired: Wired,
) -> None:
    account = CustomFieldDefinition(name="account", unique=True)
    await plain_list(wired, "L", fields=(account,))
    [first] = await wired.use.rows.ingest_rows(
        [row(1, "L", "+14155550100", custom={"account": "A-1"})]
    )
    [second] = await wired.use.rows.ingest_rows(
        [row(1, "L", "+14155550101", upload="u2", custom={"account": "A-1"})]
    )
    assert first.outcomes[0].status is RowStatus.IMPORTED
    [refused] = second.outcomes
    assert refused.status is RowStatus.INVALID
    assert refused.reason == "account: must be unique in the list; another lead has this value"
    assert len(wired.repository.leads) == 1


async def test_a_row_for_a_deleted_list_fails_with_the_reason(wired: Wired) -> None:
    [result] = await wired.use.rows.ingest_rows([row(7, "gone", "+14155550100")])
    [outcome] = result.outcomes
    assert (outcome.row_number, outcome.status) == (7, RowStatus.FAILED)
    assert outcome.reason == "the lead list no longer exists"
    assert wired.repository.leads == {}
