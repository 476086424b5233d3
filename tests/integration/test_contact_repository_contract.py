"""One contract for every contacts repository: the in-memory fake and MongoDB (FerretDB here)."""

import asyncio
import secrets
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime

import pytest
from listflow.contacts.adapters.memory_repository import InMemoryContactRepository
from listflow.contacts.adapters.mongo_repository import MongoContactRepository
from listflow.contacts.domain.model import Contact
from listflow.contacts.handlers import merge_rows
from listflow.contacts.ports import ConcurrentUpdate, ContactRepository
from listflow.devstack import infra
from listflow.schemas.events import ContactCreated, ContactRowParsed, ContactUpdated, RowOutcomes
from listflow.schemas.values import (
    Account,
    ContactData,
    MatchKey,
    MatchPolicy,
    Phone,
    RowStatus,
    TargetKind,
    TargetRef,
)
from pymongo import AsyncMongoClient

NOW = datetime(2026, 3, 1, tzinfo=UTC)


class RecordingSink:
    def __init__(self) -> None:
        self.outcomes: list[RowOutcomes] = []

    async def contacts_changed(self, events: Sequence[ContactCreated | ContactUpdated]) -> None:
        pass

    async def row_outcomes(self, batches: Sequence[RowOutcomes]) -> None:
        self.outcomes.extend(batches)


GROUP = TargetRef(kind=TargetKind.GROUP, id="g", name="G")


@pytest.fixture(params=["memory", "ferretdb"])
async def repository(request: pytest.FixtureRequest) -> AsyncIterator[ContactRepository]:
    if request.param == "memory":
        yield InMemoryContactRepository()
        return
    infra.up(infra.PROFILES["test"])
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(
        infra.PROFILES["test"].mongodb_url
    )
    name = f"contract_{secrets.token_hex(4)}"
    repo = MongoContactRepository(client[name])
    await repo.ensure_indexes()
    yield repo
    await client.drop_database(name)
    await client.close()


def contact(cid: str, tenant: str = "t1", account: str = "A1") -> Contact:
    data = ContactData(
        first_name="Ana",
        accounts=(Account(number=account),),
        phones=(Phone(e164="+14155550100"),),
    )
    return Contact.new(id=cid, tenant_id=tenant, data=data, group_id="g", now=NOW)


async def test_every_key_of_a_saved_contact_finds_it(repository: ContactRepository) -> None:
    await repository.save([contact("c1")], [])
    for key in [(MatchKey.ACCOUNT_NUMBER, "A1"), (MatchKey.PHONE, "+14155550100")]:
        ids, found = await repository.find_by_keys("t1", [key])
        assert ids == {key: ["c1"]}
        assert found["c1"].data.first_name == "Ana"


async def test_keys_never_cross_tenants(repository: ContactRepository) -> None:
    await repository.save([contact("c1", tenant="t1")], [])
    ids, found = await repository.find_by_keys("t2", [(MatchKey.ACCOUNT_NUMBER, "A1")])
    assert ids == {} and found == {}
    assert await repository.get("t2", "c1") is None


async def test_a_stale_version_is_not_written(repository: ContactRepository) -> None:
    original = contact("c1")
    await repository.save([original], [])
    newer = original.merged(
        ContactData(first_name="Anna"), MatchPolicy().merge, group_id="g", now=NOW, source="u:1"
    )
    await repository.save([], [(newer, 1)])
    with pytest.raises(ConcurrentUpdate):
        await repository.save([], [(newer, 1)])
    stored = await repository.get("t1", "c1")
    assert stored is not None and stored.version == 2 and stored.data.first_name == "Anna"


async def test_claims_give_each_key_one_owner(repository: ContactRepository) -> None:
    key = (MatchKey.ACCOUNT_NUMBER, "A9")
    assert await repository.claim_keys("t1", {key: "first"}) == {key: "first"}
    assert await repository.claim_keys("t1", {key: "second"}) == {key: "first"}
    assert await repository.claim_keys("t2", {key: "other"}) == {key: "other"}


async def test_concurrent_merges_of_one_key_leave_exactly_one_contact(
    repository: ContactRepository,
) -> None:
    def row(upload: int) -> ContactRowParsed:
        return ContactRowParsed(
            tenant_id="t1",
            upload_id=f"u{upload}",
            row_number=1,
            target=GROUP,
            match=MatchPolicy(key=MatchKey.ACCOUNT_NUMBER),
            match_key=MatchKey.ACCOUNT_NUMBER,
            match_value="RACE-1",
            contact=ContactData(first_name=f"N{upload}", accounts=(Account(number="RACE-1"),)),
        )

    sinks = [RecordingSink() for _ in range(8)]
    await asyncio.gather(
        *(merge_rows([row(i)], repository, sink, lambda: NOW) for i, sink in enumerate(sinks))
    )
    ids, _ = await repository.find_by_keys("t1", [(MatchKey.ACCOUNT_NUMBER, "RACE-1")])
    assert len(ids[(MatchKey.ACCOUNT_NUMBER, "RACE-1")]) == 1
    statuses = sorted(o.status for s in sinks for b in s.outcomes for o in b.outcomes)
    assert statuses.count(RowStatus.IMPORTED) == 1
    assert statuses.count(RowStatus.UPDATED) == 7
