"""One contract for every contacts repository: the in-memory fake and MongoDB (FerretDB here)."""

import asyncio
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from typing import Any

import pytest
from listflow.contacts.adapters.memory_repository import InMemoryContactRepository
from listflow.contacts.adapters.mongo_repository import MongoContactRepository
from listflow.contacts.domain.model import Contact
from listflow.contacts.handlers import merge_rows
from listflow.contacts.ports import Claim, ConcurrentUpdate, ContactRepository
from listflow.schemas.events import ContactChange, ContactRowParsed, RowOutcomes
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
from pymongo.asynchronous.database import AsyncDatabase

from tests.conftest import fresh_database

NOW = datetime(2026, 3, 1, tzinfo=UTC)


class RecordingSink:
    def __init__(self) -> None:
        self.outcomes: list[RowOutcomes] = []

    async def contacts_changed(self, events: Sequence[ContactChange]) -> None:
        pass

    async def row_outcomes(self, batches: Sequence[RowOutcomes]) -> None:
        self.outcomes.extend(batches)


GROUP = TargetRef(kind=TargetKind.GROUP, id="g", name="G")


@pytest.fixture(params=["memory", "ferretdb"])
async def repository(request: pytest.FixtureRequest) -> AsyncIterator[ContactRepository]:
    if request.param == "memory":
        yield InMemoryContactRepository()
        return
    async with fresh_database() as db:
        repo = MongoContactRepository(db)
        await repo.ensure_indexes()
        yield repo


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


async def test_a_key_asked_about_before_any_contact_had_it_finds_the_contact_saved_later(
    repository: ContactRepository,
) -> None:
    key = (MatchKey.ACCOUNT_NUMBER, "A1")
    assert await repository.find_by_keys("t1", [key]) == ({}, {})
    await repository.save([contact("c1")], [])
    ids, _ = await repository.find_by_keys("t1", [key])
    assert ids == {key: ["c1"]}


async def test_a_key_a_contact_gains_by_an_update_finds_it(repository: ContactRepository) -> None:
    original = contact("c1")
    await repository.save([original], [])
    email = (MatchKey.EMAIL, "ana@example.com")
    assert await repository.find_by_keys("t1", [email]) == ({}, {})
    gained = original.merged(
        ContactData(emails=("ana@example.com",)),
        MatchPolicy().merge,
        group_id="g",
        now=NOW,
        source="u:1",
    )
    await repository.save([], [(gained, 1)])
    ids, _ = await repository.find_by_keys("t1", [email])
    assert ids == {email: ["c1"]}


async def test_contacts_stored_before_known_keys_existed_are_found_after_a_restart(
    database: AsyncDatabase[dict[str, Any]],
) -> None:
    """The store remembers which keys it has seen, to skip lookups of new ones; contacts
    written before it did (an older version) must still be found once the service restarts."""
    await MongoContactRepository(database).save([contact("c1")], [])
    # As an older version left it: the contact, and no record of its keys.
    await database.drop_collection("known_keys")
    await database.drop_collection("migrations")
    key = (MatchKey.PHONE, "+14155550100")
    restarted = MongoContactRepository(database)
    await restarted.ensure_indexes()
    ids, _ = await restarted.find_by_keys("t1", [key])
    assert ids == {key: ["c1"]}


async def test_a_fresh_process_finds_every_stored_contact_among_new_keys(
    database: AsyncDatabase[dict[str, Any]],
) -> None:
    """After a restart the process has seen no key: a batch mixing stored customers' keys
    with new ones finds every stored contact and nothing for the new keys, whichever keys
    it probes and whichever it looks up."""
    writer = MongoContactRepository(database)
    await writer.ensure_indexes()
    await writer.save([contact(f"c{i}", account=f"A{i}") for i in range(80)], [])
    restarted = MongoContactRepository(database)
    stored = [(MatchKey.ACCOUNT_NUMBER, f"A{i}") for i in range(80)]
    new = [(MatchKey.ACCOUNT_NUMBER, f"N{i}") for i in range(80)]
    # Stored keys first (the probe's sample meets known keys), then new keys first.
    for batch in ([*stored[:40], *new[:40]], [*new[40:], *stored[40:]]):
        ids, found = await restarted.find_by_keys("t1", batch)
        expected = {key: [f"c{stored.index(key)}"] for key in batch if key in stored}
        assert ids == expected
        assert set(found) == {cid for (cid,) in expected.values()}
    # The new keys, probed or looked up, find no contact.
    ids, _ = await MongoContactRepository(database).find_by_keys("t1", new)
    assert ids == {}


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


async def test_claims_give_each_key_one_owner_and_report_every_key_held_by_another(
    repository: ContactRepository,
) -> None:
    a9, b1, c1 = (
        (MatchKey.ACCOUNT_NUMBER, "A9"),
        (MatchKey.ACCOUNT_NUMBER, "B1"),
        (MatchKey.PHONE, "+14155550100"),
    )
    first = Claim(a9, "first", a9)
    assert await repository.claim_keys("t1", [first]) == []
    assert await repository.claim_keys("t1", []) == []
    second = [Claim(b1, "second", b1), Claim(a9, "second", b1), Claim(c1, "second", b1)]
    # B1 and C1 are taken; A9 is held by "first" (who matched by A9).
    assert await repository.claim_keys("t1", second) == [(second[1], first)]
    assert await repository.claim_keys("t1", [Claim(c1, "third", None)]) == [
        (Claim(c1, "third", None), second[2])
    ]
    assert await repository.claim_keys("t2", [Claim(a9, "other", None)]) == []
    # A claim can be taken over only from the holder named.
    assert not await repository.take_over_claim("t1", Claim(a9, "nobody", None), second[1])
    assert await repository.take_over_claim("t1", first, second[1])
    assert await repository.claim_keys("t1", [Claim(a9, "x", None)]) == [
        (Claim(a9, "x", None), second[1])
    ]
    # Released only by its holder.
    await repository.release_claims("t1", [Claim(b1, "x", None)])
    assert await repository.claim_keys("t1", [Claim(b1, "third", None)]) == [
        (Claim(b1, "third", None), second[0])
    ]
    await repository.release_claims("t1", [second[0]])
    assert await repository.claim_keys("t1", [Claim(b1, "third", None)]) == []


async def test_keys_held_for_our_own_contacts_count_as_claimed(
    repository: ContactRepository,
) -> None:
    """A batch redelivered after a crash between its claims and its insert finds every key
    held by its own (deterministic) contact ids: they stand, and the other keys are claimed
    in the same call; a key held by another writer is still reported."""
    keys = [(MatchKey.ACCOUNT_NUMBER, f"A{i}") for i in range(5)]
    assert await repository.claim_keys("t1", [Claim(k, "c1", keys[0]) for k in keys[:4]]) == []
    again = [Claim(k, "c1", keys[0]) for k in keys]
    assert await repository.claim_keys("t1", again, ours={"c1"}) == []
    assert await repository.claim_keys("t1", [Claim(keys[4], "c2", None)]) == [
        (Claim(keys[4], "c2", None), again[4])
    ]
    other = (MatchKey.ACCOUNT_NUMBER, "B0")
    assert await repository.claim_keys("t1", [Claim(other, "c9", other)]) == []
    mixed = [Claim(keys[0], "c1", None), Claim(other, "c1", None), Claim(keys[1], "c1", None)]
    assert await repository.claim_keys("t1", mixed, ours={"c1"}) == [
        (mixed[1], Claim(other, "c9", other))
    ]


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


async def test_concurrent_uploads_matching_by_different_keys_leave_one_contact_per_customer(
    repository: ContactRepository,
) -> None:
    """Upload "u-acc" matches by account number, "u-cid" by customer id; both carry the same
    50 new customers (each with both keys) and run at the same time, in several batches."""

    def row(upload: str, n: int, key: MatchKey) -> ContactRowParsed:
        data = ContactData(
            first_name=f"{upload}-{n}",
            customer_id=f"CID-{n}",
            accounts=(Account(number=f"ACC-{n}"),),
        )
        return ContactRowParsed(
            tenant_id="t1",
            upload_id=upload,
            row_number=n,
            target=GROUP,
            match=MatchPolicy(key=key),
            match_key=key,
            match_value=f"ACC-{n}" if key is MatchKey.ACCOUNT_NUMBER else f"CID-{n}",
            contact=data,
        )

    by_account = [row("u-acc", n, MatchKey.ACCOUNT_NUMBER) for n in range(1, 51)]
    by_customer = [row("u-cid", n, MatchKey.CUSTOMER_ID) for n in reversed(range(1, 51))]
    sinks = [RecordingSink() for _ in range(4)]
    await asyncio.gather(
        merge_rows(by_account[:25], repository, sinks[0], lambda: NOW),
        merge_rows(by_customer[:25], repository, sinks[1], lambda: NOW),
        merge_rows(by_account[25:], repository, sinks[2], lambda: NOW),
        merge_rows(by_customer[25:], repository, sinks[3], lambda: NOW),
    )
    for n in range(1, 51):
        ids, found = await repository.find_by_keys(
            "t1", [(MatchKey.ACCOUNT_NUMBER, f"ACC-{n}"), (MatchKey.CUSTOMER_ID, f"CID-{n}")]
        )
        assert len(found) == 1, (n, ids)
    statuses = [o.status for s in sinks for b in s.outcomes for o in b.outcomes]
    assert statuses.count(RowStatus.IMPORTED) == 50
    assert statuses.count(RowStatus.UPDATED) == 50
