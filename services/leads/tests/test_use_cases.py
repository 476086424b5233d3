"""The leads use cases on the in-memory fake: lists and campaigns as operators edit them, and
the queue they feed (issue 15: the same rules the API and the consumers run on FerretDB)."""

import pytest
from listflow.kit.errors import Conflict, Invalid, NotFound
from listflow.schemas.leads import LeadDeleted

from .conftest import Wired, campaign, lead


async def test_a_list_name_is_taken_once_and_resolved_to_the_same_list(wired: Wired) -> None:
    lists = wired.use.lists
    created = await lists.create_list(lists.new_list("t1", " March "))
    assert created.name == "March"
    with pytest.raises(Conflict):
        await lists.create_list(lists.new_list("t1", "march"))
    assert (await lists.resolve_list("t1", "MARCH")).id == created.id
    resolved = await lists.resolve_list("t1", "April")
    assert (await lists.resolve_list("t1", "april")).id == resolved.id
    with pytest.raises(NotFound):
        await lists.get_list("t2", created.id)


async def test_a_rename_to_another_lists_name_is_refused(wired: Wired) -> None:
    lists = wired.use.lists
    first = await lists.create_list(lists.new_list("t1", "First"))
    second = await lists.create_list(lists.new_list("t1", "Second"))
    with pytest.raises(Conflict):
        await lists.update_list(second, {"name": "FIRST"}, None)
    renamed = await lists.update_list(first, {"name": "First"}, None)  # its own name
    assert renamed.name == "First"


async def test_deleting_a_campaign_unassigns_it_and_withdraws_its_queued_leads(
    wired: Wired,
) -> None:
    lists, repository, events = wired.use.lists, wired.repository, wired.events
    await lists.create_campaign(campaign("c1", "Calls"))
    item = await lists.create_list(lists.new_list("t1", "Dial me", enabled=True))
    await repository.save_leads([lead("a", item.id, "+14155550100")], [])
    await repository.set_list("t1", item.id, {"ready": True})  # its upload completed
    [assigned] = await lists.assign_lists("t1", "c1", [item.id, item.id])
    assert assigned.campaign_ids == ("c1",)
    assert [e.lead_id for e in events.queued_events] == ["a"]
    by_status, _ = await lists.list_counts("t1", item.id)
    assert by_status == {"queued": 1}

    await lists.delete_campaign("t1", "c1")
    assert [e.lead_id for e in events.withdrawn_events] == ["a"]
    assert (await lists.get_list("t1", item.id)).campaign_ids == ()
    with pytest.raises(NotFound):
        await lists.get_campaign("t1", "c1")
    assert (await lists.list_counts("t1", item.id))[0] == {"new": 1}


async def test_assigning_many_lists_assigns_none_when_one_is_unknown(wired: Wired) -> None:
    lists = wired.use.lists
    await lists.create_campaign(campaign("c1", "Calls"))
    item = await lists.create_list(lists.new_list("t1", "Known"))
    with pytest.raises(NotFound):
        await lists.assign_lists("t1", "c1", [item.id, "missing"])
    assert (await lists.get_list("t1", item.id)).campaign_ids == ()


async def test_a_list_is_resolved_by_id_or_name_and_neither_is_refused(wired: Wired) -> None:
    lists = wired.use.lists
    item = await lists.create_list(lists.new_list("t1", "Named"))
    assert (await lists.resolve("t1", item.id, None)).id == item.id
    assert (await lists.resolve("t1", None, "named")).id == item.id
    with pytest.raises(Invalid):
        await lists.resolve("t1", None, None)
    with pytest.raises(NotFound):
        await lists.resolve("t2", item.id, None)


async def test_deleting_a_list_needs_confirmation_then_withdraws_and_announces_its_leads(
    wired: Wired,
) -> None:
    lists, repository, events = wired.use.lists, wired.repository, wired.events
    await lists.create_campaign(campaign("c1", "Calls"))
    item = await lists.create_list(lists.new_list("t1", "Doomed", enabled=True))
    await repository.save_leads([lead("a", item.id, "+14155550100")], [])
    await repository.set_list("t1", item.id, {"ready": True})
    await lists.assign("t1", item.id, "c1")
    [queued] = events.queued_events

    with pytest.raises(Conflict):
        await lists.delete_list("t1", item.id, confirmed=False)
    assert "a" in repository.leads and events.withdrawn_events == []

    assert await lists.delete_list("t1", item.id, confirmed=True) == 1
    assert [w.queue_id for w in events.withdrawn_events] == [queued.queue_id]
    assert [(c.lead_id, c.list_id) for c in events.changes if isinstance(c, LeadDeleted)] == [
        ("a", item.id)
    ]
    assert repository.leads == {}
    with pytest.raises(NotFound):
        await lists.get_list("t1", item.id)
