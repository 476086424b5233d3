"""One contract for every portal repository: the in-memory fake and MongoDB (FerretDB here)."""

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from listflow.portal.adapters.memory_repository import InMemoryPortalRepository
from listflow.portal.adapters.mongo_repository import MongoPortalRepository
from listflow.portal.domain.model import (
    AccessLink,
    AccountView,
    Customer,
    IdvFact,
    PortalSettings,
)
from listflow.portal.ports import PortalRepository

from tests.conftest import fresh_database

NOW = datetime(2026, 3, 1, tzinfo=UTC)


@pytest.fixture(params=["memory", "ferretdb"])
async def repository(request: pytest.FixtureRequest) -> AsyncIterator[PortalRepository]:
    if request.param == "memory":
        yield InMemoryPortalRepository()
        return
    async with fresh_database() as db:
        repo = MongoPortalRepository(db)
        await repo.ensure_indexes()
        yield repo


def customer(cid: str, version: int = 1, tenant: str = "t1", *groups: str) -> Customer:
    return Customer(
        tenant_id=tenant,
        contact_id=cid,
        version=version,
        first_name="Ana",
        last_name="Ruiz",
        date_of_birth=date(1980, 5, 17),
        postcode="28001",
        national_id_last4_fp="fp-6789",
        accounts=(AccountView(id=f"{cid}:A1", number="A1", balance=None, currency="EUR"),),
        group_ids=groups or ("g",),
    )


def link(cid: str, tenant: str = "t1") -> AccessLink:
    made, _ = AccessLink.new(tenant, cid, now=NOW, expiry_days=30, reason="list_ready")
    return made


async def test_settings_round_trip_per_tenant(repository: PortalRepository) -> None:
    assert await repository.get_settings("t1") is None
    chosen = PortalSettings(idv_fields=(IdvFact.ACCOUNT_LAST4,), max_attempts=3)
    await repository.put_settings("t1", chosen)
    assert await repository.get_settings("t1") == chosen
    assert await repository.get_settings("t2") is None


async def test_newer_snapshots_win_and_replays_change_nothing(
    repository: PortalRepository,
) -> None:
    assert await repository.upsert_customers([customer("c1", 2)]) == [customer("c1", 2)]
    assert await repository.upsert_customers([customer("c1", 2)]) == []
    assert await repository.upsert_customers([customer("c1", 1)]) == []
    newer = replace(customer("c1", 3), postcode="28002")
    assert await repository.upsert_customers([newer]) == [newer]
    assert await repository.get_customer("t1", "c1") == newer
    assert await repository.get_customer("t2", "c1") is None


async def test_customers_in_group_leave_out_deleted_and_other_tenants(
    repository: PortalRepository,
) -> None:
    await repository.upsert_customers(
        [
            customer("a", 1, "t1", "g"),
            customer("b", 1, "t1", "g", "h"),
            replace(customer("c", 1, "t1", "g"), deleted=True),
            customer("d", 1, "t2", "g"),
        ]
    )
    assert [c.contact_id for c in await repository.customers_in_group("t1", "g")] == ["a", "b"]
    await repository.mark_group_ready("t1", "g", NOW)
    assert await repository.ready_groups("t1") == {"g"}
    assert await repository.ready_groups("t2") == set()


async def test_one_current_link_per_contact_under_a_race(repository: PortalRepository) -> None:
    racers = [link("c1") for _ in range(8)]
    won = await asyncio.gather(*(repository.insert_link(li) for li in racers))
    assert won.count(True) == 1
    winner = racers[won.index(True)]
    assert await repository.current_link("t1", "c1") == winner
    assert await repository.link_by_token_hash(winner.token_hash) == winner


async def test_replace_only_if_still_current_and_old_token_stops_working(
    repository: PortalRepository,
) -> None:
    first, second, third = link("c1"), link("c1"), link("c1")
    await repository.insert_link(first)
    assert await repository.replace_link(first, second)
    assert not await repository.replace_link(first, third)  # stale
    assert await repository.link_by_token_hash(first.token_hash) is None
    revoked = replace(second, published=True, revoked_at=NOW + timedelta(hours=1))
    assert await repository.save_link_state(revoked)
    assert await repository.current_link("t1", "c1") == revoked
    assert not await repository.save_link_state(replace(first, published=True))


async def test_links_page_by_tenant_and_contact(repository: PortalRepository) -> None:
    for cid in ("a", "b", "c"):
        await repository.insert_link(link(cid))
    await repository.insert_link(link("a", tenant="t2"))
    page = await repository.links_page("t1", contact_id=None, limit=2, cursor=None)
    assert [li.contact_id for li in page.items] == ["a", "b"] and page.next_cursor == "b"
    rest = await repository.links_page("t1", contact_id=None, limit=2, cursor=page.next_cursor)
    assert [li.contact_id for li in rest.items] == ["c"] and rest.next_cursor is None
    one = await repository.links_page("t2", contact_id="a", limit=10, cursor=None)
    assert [(li.tenant_id, li.contact_id) for li in one.items] == [("t2", "a")]
