"""The read models on the fake: contact changes and portal link events, as the consumers
hand them over (in order, possibly replayed)."""

from datetime import UTC, datetime, timedelta

from listflow.campaigns.adapters.memory_repository import InMemoryCampaignRepository
from listflow.campaigns.handlers import ReadModels
from listflow.schemas.events import (
    ContactCreated,
    ContactDeleted,
    ContactMerged,
    ContactSnapshot,
    ContactUpdated,
)
from listflow.schemas.portal_links import AccessLinkIssued, AccessLinkRevoked
from listflow.schemas.values import ContactData

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def snapshot(cid: str, version: int, name: str = "Ana") -> ContactSnapshot:
    return ContactSnapshot(
        id=cid,
        version=version,
        data=ContactData(first_name=name, emails=(f"{cid}@example.com",)),
        group_ids=("g1",),
        created_at=NOW,
        updated_at=NOW + timedelta(minutes=version),
    )


def issued(cid: str, link: str, at: datetime, tenant: str = "t1") -> AccessLinkIssued:
    return AccessLinkIssued(
        tenant_id=tenant,
        link_id=link,
        contact_id=cid,
        url=f"https://portal.example/p/{link}",
        issued_at=at,
        expires_at=at + timedelta(days=30),
    )


async def test_changes_keep_the_newest_snapshot_every_upload_and_deletions() -> None:
    repo = InMemoryCampaignRepository()
    read_models = ReadModels(repo)
    await read_models.on_contact_changes(
        [
            ContactCreated(tenant_id="t1", contact=snapshot("c1", 1), upload_id="u1"),
            ContactUpdated(tenant_id="t1", contact=snapshot("c1", 2, "Anna"), upload_id="u2"),
            ContactCreated(tenant_id="t1", contact=snapshot("c2", 1), upload_id="u1"),
            ContactMerged(tenant_id="t1", contact=snapshot("c1", 3, "Anna M"), merged_ids=("c2",)),
            ContactDeleted(tenant_id="t1", contact=snapshot("c2", 2), deleted_at=NOW),
        ]
    )
    # A replay of the first event changes nothing.
    await read_models.on_contact_changes(
        [ContactCreated(tenant_id="t1", contact=snapshot("c1", 1), upload_id="u1")]
    )
    found = await repo.get_contacts("t1", ["c1", "c2"])
    assert (found["c1"].version, found["c1"].data.first_name) == (3, "Anna M")
    assert sorted(found["c1"].upload_ids) == ["u1", "u2"]
    assert found["c2"].deleted and not found["c1"].deleted
    in_upload = [c async for c in repo.iter_contacts_in("t1", group_ids=[], upload_id="u1")]
    assert [c.id for c in in_upload] == ["c1"]


async def test_a_change_lands_in_its_own_tenant_only() -> None:
    repo = InMemoryCampaignRepository()
    await ReadModels(repo).on_contact_changes(
        [ContactCreated(tenant_id="t2", contact=snapshot("c1", 1))]
    )
    assert await repo.get_contacts("t1", ["c1"]) == {}
    assert list(await repo.get_contacts("t2", ["c1"])) == ["c1"]


async def test_link_events_keep_the_current_link_and_a_revocation_removes_it() -> None:
    repo = InMemoryCampaignRepository()
    read_models = ReadModels(repo)
    await read_models.on_link_events(
        [
            issued("c1", "l1", NOW),
            issued("c2", "l2", NOW),
            issued("c2", "l3", NOW + timedelta(hours=1)),
            AccessLinkRevoked(tenant_id="t1", link_id="l1", contact_id="c1", revoked_at=NOW),
            AccessLinkRevoked(
                tenant_id="t1", link_id="l2", contact_id="c2", revoked_at=NOW + timedelta(hours=2)
            ),
        ]
    )
    assert await repo.links("t1", ["c1", "c2"]) == {"c2": "https://portal.example/p/l3"}
    assert await repo.links("t2", ["c2"]) == {}


async def test_a_hold_in_the_snapshot_reaches_the_read_model() -> None:
    repository = InMemoryCampaignRepository()
    held = snapshot("c1", 1).model_copy(update={"held_until": NOW.date() + timedelta(days=3)})
    await ReadModels(repository).on_contact_changes([ContactCreated(tenant_id="t1", contact=held)])
    [view] = (await repository.get_contacts("t1", ["c1"])).values()
    assert view.held_until == NOW.date() + timedelta(days=3)
    assert view.held(NOW)
