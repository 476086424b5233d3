"""Access links from ListReady and contact changes, on the in-memory fake."""

from collections.abc import Sequence
from datetime import date, datetime, timedelta

import pytest
from listflow.kit.clock import ManualClock
from listflow.kit.errors import NotFound
from listflow.portal.adapters.memory_repository import InMemoryPortalRepository
from listflow.portal.domain.model import AccessLink, PortalSettings, token_hash
from listflow.portal.handlers import Portal
from listflow.schemas.events import ContactCreated, ContactDeleted, ContactSnapshot, ListReady
from listflow.schemas.portal_links import AccessLinkIssued, AccessLinkRevoked
from listflow.schemas.values import Account, ContactData, Counts, ProtectedId, TargetKind

from .clock import T0


class RecordingEvents:
    def __init__(self) -> None:
        self.issued: list[AccessLinkIssued] = []
        self.revoked: list[AccessLinkRevoked] = []
        self.fail = False

    async def links_issued(self, events: Sequence[AccessLinkIssued]) -> None:
        if self.fail:
            raise ConnectionError("broker down")
        self.issued.extend(events)

    async def links_revoked(self, events: Sequence[AccessLinkRevoked]) -> None:
        self.revoked.extend(events)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture
def events() -> RecordingEvents:
    return RecordingEvents()


@pytest.fixture
def portal(clock: ManualClock, events: RecordingEvents) -> Portal:
    return Portal(
        repository=InMemoryPortalRepository(),
        events=events,
        clock=clock,
        public_url="https://pay.example/",
        fingerprint=lambda last4: f"fp:{last4}",
        unpublished_grace=timedelta(seconds=30),
    )


def snapshot(cid: str, *groups: str, version: int = 1) -> ContactSnapshot:
    return ContactSnapshot(
        id=cid,
        version=version,
        data=ContactData(
            first_name="Ana",
            date_of_birth=date(1980, 5, 17),
            postcode="SW1A 1AA",
            ssn=ProtectedId(hash="h", last4="6789"),
            accounts=(Account(number="AC-1", balance="120.50", currency="GBP"),),
        ),
        group_ids=groups,
        created_at=T0,
        updated_at=T0,
    )


def created(cid: str, *groups: str, tenant: str = "t1", version: int = 1) -> ContactCreated:
    return ContactCreated(tenant_id=tenant, contact=snapshot(cid, *groups, version=version))


def ready(group: str, tenant: str = "t1", at: datetime = T0) -> ListReady:
    return ListReady(
        tenant_id=tenant,
        list_kind=TargetKind.GROUP,
        list_id=group,
        list_name="March",
        upload_id="u1",
        counts=Counts(total=2, imported=2),
        ready_at=at,
    )


async def test_list_ready_issues_one_link_per_customer_once(
    portal: Portal, events: RecordingEvents
) -> None:
    await portal.on_contact_changes([created("c1", "g"), created("c2", "g"), created("c3", "h")])
    issued = await portal.on_list_ready(ready("g"))
    assert sorted(i.link.contact_id for i in issued) == ["c1", "c2"]
    assert [e.contact_id for e in events.issued] == [i.link.contact_id for i in issued]
    # A redelivered ListReady changes nothing.
    assert await portal.on_list_ready(ready("g")) == []
    assert len(events.issued) == 2
    for i in issued:
        token = i.url.rsplit("/p/", 1)[1]
        assert i.url == f"https://pay.example/p/{token}"
        assert len(token) >= 22  # 128 bits of base64url
        stored = await portal.repository.current_link("t1", i.link.contact_id)
        assert stored is not None and stored.published
        assert stored.token_hash == token_hash(token) and token not in repr(stored)
        assert stored.expires_at == T0 + timedelta(days=30)


async def test_a_customer_reaching_the_read_model_after_list_ready_gets_a_link(
    portal: Portal, events: RecordingEvents
) -> None:
    assert await portal.on_list_ready(ready("g")) == []
    issued = await portal.on_contact_changes([created("late", "g")])
    assert [(i.link.contact_id, i.link.reason) for i in issued] == [("late", "contact_added")]
    # An update of the same customer does not issue a second link.
    assert await portal.on_contact_changes([created("late", "g", version=2)]) == []
    assert len(events.issued) == 1


async def test_expiry_comes_from_the_tenant_settings(portal: Portal) -> None:
    await portal.put_settings("t1", PortalSettings(link_expiry_days=7))
    await portal.on_contact_changes([created("c1", "g")])
    [issued] = await portal.on_list_ready(ready("g"))
    assert issued.link.expires_at == T0 + timedelta(days=7)


async def test_reissue_revokes_the_old_link_and_revoke_sticks(
    portal: Portal, events: RecordingEvents, clock: ManualClock
) -> None:
    await portal.on_contact_changes([created("c1", "g")])
    [first] = await portal.on_list_ready(ready("g"))
    clock.now += timedelta(minutes=1)
    second = await portal.reissue("t1", "c1")
    assert second.link.id != first.link.id and second.url != first.url
    assert [e.link_id for e in events.revoked] == [first.link.id]
    assert await portal.repository.link_by_token_hash(first.link.token_hash) is None
    revoked = await portal.revoke("t1", "c1")
    assert revoked is not None and revoked.revoked_at == clock.now
    # A later ListReady leaves a revoked link revoked (only a reissue undoes it).
    assert await portal.on_list_ready(ready("g", at=clock.now)) == []


async def test_an_expired_link_is_replaced_at_the_next_list_ready(
    portal: Portal, clock: ManualClock
) -> None:
    await portal.on_contact_changes([created("c1", "g")])
    [first] = await portal.on_list_ready(ready("g"))
    clock.now += timedelta(days=31)
    [second] = await portal.on_list_ready(ready("g", at=clock.now))
    assert second.link.id != first.link.id


async def test_a_list_ready_answered_in_full_is_not_answered_again(
    portal: Portal, events: RecordingEvents, clock: ManualClock
) -> None:
    await portal.on_contact_changes([created("c1", "g"), created("c2", "g")])
    later = T0 + timedelta(hours=1)
    assert len(await portal.on_list_ready(ready("g", at=later))) == 2
    read: list[Sequence[str]] = []
    repository = portal.repository
    assert isinstance(repository, InMemoryPortalRepository)
    current_links = repository.current_links

    async def counting(tenant_id: str, contact_ids: Sequence[str]) -> dict[str, AccessLink]:
        read.append(contact_ids)
        return await current_links(tenant_id, contact_ids)

    repository.current_links = counting  # type: ignore[method-assign]
    # Redelivered, or an older one arriving late: not a link read.
    clock.now += timedelta(days=31)  # every link expired, yet nothing is replaced
    assert await portal.on_list_ready(ready("g", at=later)) == []
    assert await portal.on_list_ready(ready("g", at=T0)) == []
    assert read == [] and len(events.issued) == 2
    # The next list into the group is answered: the expired links are replaced.
    assert len(await portal.on_list_ready(ready("g", at=clock.now))) == 2
    assert len(read) == 1 and len(events.issued) == 4


async def test_a_link_never_announced_is_replaced_after_the_grace(
    portal: Portal, events: RecordingEvents, clock: ManualClock
) -> None:
    await portal.on_contact_changes([created("c1", "g")])
    events.fail = True
    with pytest.raises(ConnectionError):
        await portal.on_list_ready(ready("g"))
    events.fail = False
    # Redelivered at once: another writer may still be announcing it, so it is left alone
    # and the list is not answered in full: the redelivery below looks again.
    assert await portal.on_list_ready(ready("g")) == []
    clock.now += timedelta(seconds=31)
    [issued] = await portal.on_list_ready(ready("g"))
    assert [e.link_id for e in events.issued] == [issued.link.id]


async def test_deleting_a_contact_revokes_its_link(portal: Portal, events: RecordingEvents) -> None:
    await portal.on_contact_changes([created("c1", "g")])
    [issued] = await portal.on_list_ready(ready("g"))
    deleted = ContactDeleted(tenant_id="t1", contact=snapshot("c1", "g", version=2), deleted_at=T0)
    await portal.on_contact_changes([deleted])
    assert [e.link_id for e in events.revoked] == [issued.link.id]


async def test_tenants_are_apart(portal: Portal) -> None:
    await portal.on_contact_changes([created("c1", "g", tenant="t1")])
    assert await portal.on_list_ready(ready("g", tenant="t2")) == []
    with pytest.raises(NotFound):
        await portal.reissue("t2", "c1")
    assert (await portal.links("t2", contact_id=None, limit=10, cursor=None)).items == []


async def test_the_read_model_keeps_only_what_the_portal_needs(portal: Portal) -> None:
    await portal.on_contact_changes([created("c1", "g", version=3)])
    await portal.on_contact_changes([created("c1", version=2)])  # older: ignored
    customer = await portal.repository.get_customer("t1", "c1")
    assert customer is not None and customer.group_ids == ("g",)
    assert customer.national_id_last4_fp == "fp:6789" and customer.postcode == "SW1A 1AA"
    assert [(a.number, str(a.balance), a.currency) for a in customer.accounts] == [
        ("AC-1", "120.50", "GBP")
    ]
