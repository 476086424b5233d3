"""Leads found by phone on FerretDB: the known-phones probe never hides a stored lead."""

from datetime import UTC, datetime
from typing import Any

from listflow.leads.adapters.mongo_repository import MongoLeadRepository
from listflow.leads.domain.model import Lead
from listflow.schemas.leads import LeadData
from listflow.schemas.values import Phone
from pymongo.asynchronous.database import AsyncDatabase

NOW = datetime(2026, 3, 1, tzinfo=UTC)


def lead(lid: str, *phones: str, tenant: str = "t1") -> Lead:
    data = LeadData(name=lid, phones=tuple(Phone(e164=p) for p in phones))
    return Lead.new(id=lid, tenant_id=tenant, list_id="L1", data=data, now=NOW, source="u:1")


async def test_every_phone_of_a_saved_lead_finds_it(database: AsyncDatabase[Any]) -> None:
    repository = MongoLeadRepository(database)
    await repository.ensure_indexes()
    # Asked about before any lead had it: the probe records it, the save must still find it.
    assert await repository.find_by_phones("t1", ["+14155550101"]) == {}
    await repository.save_leads([lead("a", "+14155550100", "+14155550101")], [])
    for phone in ("+14155550100", "+14155550101"):
        assert set(await repository.find_by_phones("t1", [phone])) == {"a"}
    assert await repository.find_by_phones("t2", ["+14155550100"]) == {}


async def test_a_phone_a_lead_gains_by_an_update_finds_it(database: AsyncDatabase[Any]) -> None:
    repository = MongoLeadRepository(database)
    await repository.ensure_indexes()
    original = lead("a", "+14155550110")
    await repository.save_leads([original], [])
    assert await repository.find_by_phones("t1", ["+14155550111"]) == {}
    gained = original.updated(
        LeadData(name="a", phones=(Phone(e164="+14155550110"), Phone(e164="+14155550111"))),
        NOW,
        "u:2",
    )
    await repository.save_leads([], [(gained, 1)])
    # A process that has seen none of these phones, as after a restart.
    restarted = MongoLeadRepository(database)
    assert set(await restarted.find_by_phones("t1", ["+14155550111"])) == {"a"}


async def test_a_batch_of_more_phones_than_one_lookup_carries_finds_every_stored_lead(
    database: AsyncDatabase[Any],
) -> None:
    """Stored leads' phones mixed with new ones, more of them than one `$in` carries: every
    stored lead is found once, the new phones find nothing, and get_leads reads by id."""
    writer = MongoLeadRepository(database)
    await writer.ensure_indexes()
    stored = [f"+1415555{i:04d}" for i in range(200, 280)]
    new = [f"+1415556{i:04d}" for i in range(0, 2400)]
    await writer.save_leads([lead(f"s{i}", p) for i, p in enumerate(stored)], [])
    found = await writer.find_by_phones("t1", [*stored[:40], *new, *stored[40:]])
    assert set(found) == {f"s{i}" for i in range(80)}
    assert await writer.find_by_phones("t1", new) == {}
    assert await writer.find_by_phones("t2", stored) == {}
    assert set(await writer.get_leads(["s1", "s2", "nope"])) == {"s1", "s2"}
