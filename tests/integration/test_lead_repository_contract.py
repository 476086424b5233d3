"""One contract for every lead repository: the in-memory fake and MongoDB (FerretDB here)."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta

import pytest
from listflow.leads.adapters.memory_repository import InMemoryLeadRepository
from listflow.leads.adapters.mongo_repository import MongoLeadRepository
from listflow.leads.domain.errors import ConcurrentUpdate, NameTaken
from listflow.leads.domain.keys import entry_lead_key, entry_list_key
from listflow.leads.domain.model import Campaign, Lead, LeadList
from listflow.leads.ports import LeadRepository
from listflow.schemas.leads import LeadData
from listflow.schemas.values import Phone

from tests.conftest import fresh_database

NOW = datetime(2026, 3, 1, tzinfo=UTC)


@pytest.fixture(params=["memory", "ferretdb"])
async def repository(request: pytest.FixtureRequest) -> AsyncIterator[LeadRepository]:
    if request.param == "memory":
        yield InMemoryLeadRepository()
        return
    async with fresh_database() as db:
        repo = MongoLeadRepository(db)
        await repo.ensure_indexes()
        yield repo


def lead(lid: str, *phones: str, tenant: str = "t1", list_id: str = "L1") -> Lead:
    data = LeadData(name=lid, phones=tuple(Phone(e164=p) for p in phones))
    return Lead.new(id=lid, tenant_id=tenant, list_id=list_id, data=data, now=NOW, source="u:1")


def entry(eid: str, lead_id: str, state: str, due_at: datetime = NOW) -> dict[str, object]:
    return {
        "_id": eid,
        "tenant_id": "t1",
        "lead_id": lead_id,
        "list_id": "L1",
        "campaign_id": "C1",
        "state": state,
        "due_at": due_at,
        "attempt": 0,
        "cycle": 0,
    }


async def test_list_names_are_unique_per_tenant_whatever_their_case(
    repository: LeadRepository,
) -> None:
    assert await repository.insert_list(LeadList(id="a", tenant_id="t1", name="March"))
    assert not await repository.insert_list(LeadList(id="b", tenant_id="t1", name=" march "))
    assert await repository.insert_list(LeadList(id="c", tenant_id="t2", name="March"))
    found = await repository.list_by_name("t1", "MARCH")
    assert found is not None and found.id == "a"
    assert await repository.get_list("t2", "a") is None


async def test_a_rename_to_a_taken_name_is_refused_and_changes_nothing(
    repository: LeadRepository,
) -> None:
    for list_id, name in (("a", "First"), ("b", "Second")):
        assert await repository.insert_list(LeadList(id=list_id, tenant_id="t1", name=name))
    with pytest.raises(NameTaken):
        await repository.set_list("t1", "b", {"name": "first"})
    item = await repository.get_list("t1", "b")
    assert item is not None and item.name == "Second"
    renamed = await repository.set_list("t1", "b", {"name": "Third", "enabled": True})
    assert renamed is not None and (renamed.name, renamed.enabled) == ("Third", True)
    assert await repository.set_list("t2", "b", {"enabled": False}) is None


async def test_concurrent_creates_of_one_name_leave_exactly_one_list(
    repository: LeadRepository,
) -> None:
    results = await asyncio.gather(
        *(
            repository.insert_list(LeadList(id=f"id{i}", tenant_id="t1", name="Same"))
            for i in range(5)
        )
    )
    assert sorted(results) == [False, False, False, False, True]
    page, cursor = await repository.page_lists("t1", 10, None)
    assert len(page) == 1 and cursor is None


async def test_lists_page_by_id_with_a_cursor(repository: LeadRepository) -> None:
    for i in range(5):
        assert await repository.insert_list(LeadList(id=f"L{i}", tenant_id="t1", name=f"n{i}"))
    first, cursor = await repository.page_lists("t1", 2, None)
    assert [x.id for x in first] == ["L0", "L1"] and cursor == "L1"
    rest, end = await repository.page_lists("t1", 10, cursor)
    assert [x.id for x in rest] == ["L2", "L3", "L4"] and end is None


async def test_campaigns_renamed_to_a_taken_name_are_refused(repository: LeadRepository) -> None:
    assert await repository.insert_campaign(Campaign(id="c1", tenant_id="t1", name="One"))
    assert await repository.insert_campaign(Campaign(id="c2", tenant_id="t1", name="Two"))
    assert not await repository.insert_campaign(Campaign(id="c3", tenant_id="t1", name="one"))
    with pytest.raises(NameTaken):
        await repository.replace_campaign(Campaign(id="c2", tenant_id="t1", name="ONE"))
    await repository.replace_campaign(Campaign(id="c2", tenant_id="t1", name="Two", priority=5))
    stored = await repository.get_campaign("t1", "c2")
    assert stored is not None and stored.priority == 5
    assert await repository.get_campaign("t2", "c2") is None


async def test_a_lead_changed_since_it_was_read_is_not_overwritten(
    repository: LeadRepository,
) -> None:
    original = lead("a", "+14155550100")
    await repository.save_leads([original], [])
    await repository.save_leads([original], [])  # a replay of the create changes nothing
    await repository.set_lead("a", {"status": "queued"})  # moves the version
    stale = original.updated(original.data, NOW, "u:2")
    with pytest.raises(ConcurrentUpdate):
        await repository.save_leads([], [(stale, original.version)])
    stored = await repository.get_lead("t1", "a")
    assert stored is not None and stored.status.value == "queued"
    assert stored.version == original.version + 1


async def test_leads_are_found_by_phone_and_list_within_their_tenant(
    repository: LeadRepository,
) -> None:
    await repository.save_leads(
        [lead("a", "+14155550100"), lead("b", "+14155550100", tenant="t2"), lead("c", "+1415555")],
        [],
    )
    assert set(await repository.find_by_phones("t1", ["+14155550100"])) == {"a"}
    chunks = [chunk async for chunk in repository.leads_of_list("t1", "L1", batch=1)]
    assert sorted(x.id for chunk in chunks for x in chunk) == ["a", "c"]
    assert await repository.count_list_leads_by("t1", "L1", "status") == {"new": 2}
    page, _ = await repository.page_leads("t1", "L1", 10, None, "new")
    assert [x.id for x in page] == ["a", "c"]
    await repository.delete_lead("a")
    assert await repository.get_lead("t1", "a") is None


async def test_claims_go_to_the_first_writer(repository: LeadRepository) -> None:
    assert await repository.claim_unique({"k1": "a"}) == {"k1": "a"}
    assert await repository.claim_unique({"k1": "b", "k2": "b"}) == {"k1": "a", "k2": "b"}
    await repository.move_unique("k1", "x", "b")  # not the holder: nothing moves
    assert await repository.claim_unique({"k1": "c"}) == {"k1": "a"}
    assert await repository.claim_phones({"p1": "a"}, NOW) == {"p1": "a"}
    assert await repository.claim_phones({"p1": "b"}, NOW) == {"p1": "a"}
    claim = await repository.phone_claim("p1")
    assert claim is not None and claim["lead_id"] == "a"


async def test_queue_entries_are_found_by_their_keys_and_change_only_as_expected(
    repository: LeadRepository,
) -> None:
    assert await repository.insert_entries([entry("q1", "a", "deferred")]) == set()
    assert await repository.insert_entries([entry("q1", "a", "queued")]) == {"q1"}
    later = NOW + timedelta(hours=1)
    await repository.insert_entries([entry("q2", "b", "deferred", later)])
    assert [e["_id"] for e in await repository.due_entries(NOW, 10)] == ["q1"]
    stored = (await repository.get_entries(["q1"]))["q1"]
    assert not await repository.set_entry(stored, {"state": "queued"}, {"state": "withdrawn"})
    assert await repository.set_entry(stored, {"state": "queued"}, {"state": "deferred"})
    assert await repository.due_entries(later, 10) == [
        e for e in await repository.entries_by_key(entry_lead_key("b"))
    ]
    assert {e["state"] for e in await repository.entries_by_key(entry_list_key("L1"))} == {
        "queued",
        "deferred",
    }


async def test_do_not_call_numbers_per_tenant(repository: LeadRepository) -> None:
    await repository.add_dnc("t1", ["+14155550100", "+14155550101"], NOW, "operator")
    await repository.add_dnc("t1", ["+14155550100"], NOW, "again")  # kept, not overwritten
    assert await repository.dnc_of("t1", ["+14155550100", "+14155550102"]) == {"+14155550100"}
    assert await repository.dnc_of("t2", ["+14155550100"]) == set()
    page, _ = await repository.page_dnc("t1", 10, None)
    assert [(d["phone"], d["reason"]) for d in page] == [
        ("+14155550100", "operator"),
        ("+14155550101", "operator"),
    ]
    assert await repository.remove_dnc("t1", "+14155550100")
    assert not await repository.remove_dnc("t1", "+14155550100")


async def test_a_held_customers_numbers_are_held_until_its_day_and_not_once_lifted(
    repository: LeadRepository,
) -> None:
    today = date(2026, 3, 2)
    await repository.put_hold("t1", "c1", ["+14155550100", "+14155550101"], today, 3)
    await repository.put_hold("t2", "c9", ["+14155550102"], today + timedelta(days=9), 1)
    asked = ["+14155550100", "+14155550102", "+14155550199"]
    assert await repository.held_of("t1", asked, today) == {"+14155550100"}
    assert await repository.held_of("t1", asked, today + timedelta(days=1)) == set()
    assert await repository.held_of("t1", [], today) == set()
    [doc] = (await repository.holds_of("t1", ["c1", "c2"])).values()
    assert (doc["contact_id"], doc["version"], doc["until"]) == ("c1", 3, "2026-03-02")
    await repository.put_hold("t1", "c1", ["+14155550100"], None, 4)
    assert await repository.held_of("t1", asked, today) == set()
    assert (await repository.holds_of("t1", ["c1"]))["c1"]["until"] is None
