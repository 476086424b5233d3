"""One contract for every suppression list: the in-memory fake and MongoDB (FerretDB here),
alone and as part of the campaign repository (the service's one store, which inherits them)."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import pytest
from listflow.campaigns.adapters.memory_repository import (
    InMemoryCampaignRepository,
    InMemorySuppressions,
)
from listflow.campaigns.adapters.mongo_repository import MongoCampaignRepository, MongoSuppressions
from listflow.campaigns.ports import Suppression, SuppressionChange, SuppressionRepository
from listflow.schemas.campaigns import SuppressionReason

from tests.conftest import fresh_database

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
OPT_OUT = SuppressionReason.SMS_OPT_OUT
UNSUBSCRIBED = SuppressionReason.UNSUBSCRIBED
LATER = NOW + timedelta(minutes=5)


@pytest.fixture(params=["memory", "ferretdb", "campaigns-memory", "campaigns-ferretdb"])
async def repository(request: pytest.FixtureRequest) -> AsyncIterator[SuppressionRepository]:
    if request.param == "memory":
        yield InMemorySuppressions()
        return
    if request.param == "campaigns-memory":
        yield InMemoryCampaignRepository()
        return
    async with fresh_database() as db:
        repo = MongoSuppressions(db) if request.param == "ferretdb" else MongoCampaignRepository(db)
        await repo.ensure_indexes()
        yield repo


async def test_a_suppressed_address_reads_back_with_its_reason(
    repository: SuppressionRepository,
) -> None:
    await repository.suppress("t1", "sms", "+14155550100", OPT_OUT, NOW, by="sms:inbound")
    assert await repository.suppression("t1", "sms", "+14155550100") is OPT_OUT
    assert await repository.suppression("t1", "email", "+14155550100") is None
    assert await repository.suppression("t1", "sms", "+14155550101") is None
    assert await repository.get_suppression("t1", "sms", "+14155550100") == Suppression(
        "t1", "sms", "+14155550100", OPT_OUT, NOW, "sms:inbound"
    )
    assert await repository.get_suppression("t2", "sms", "+14155550100") is None


async def test_a_repeated_suppress_keeps_the_first_record(
    repository: SuppressionRepository,
) -> None:
    await repository.suppress("t1", "sms", "+14155550100", OPT_OUT, NOW, by="sms:inbound")
    later = NOW + timedelta(hours=1)
    await repository.suppress("t1", "sms", "+14155550100", UNSUBSCRIBED, later, by="api")
    assert await repository.list_suppressions("t1") == [
        Suppression("t1", "sms", "+14155550100", OPT_OUT, NOW, "sms:inbound")
    ]


async def test_unsuppress_lifts_it_and_says_whether_there_was_one(
    repository: SuppressionRepository,
) -> None:
    await repository.suppress("t1", "sms", "+14155550100", OPT_OUT, NOW)
    assert await repository.unsuppress("t1", "sms", "+14155550100", at=LATER, by="api") is True
    assert await repository.suppression("t1", "sms", "+14155550100") is None
    assert await repository.unsuppress("t1", "sms", "+14155550100", at=LATER, by="api") is False


async def test_tenants_never_see_or_lift_each_others(repository: SuppressionRepository) -> None:
    await repository.suppress("t1", "sms", "+14155550100", OPT_OUT, NOW)
    assert await repository.suppression("t2", "sms", "+14155550100") is None
    assert await repository.list_suppressions("t2") == []
    assert await repository.unsuppress("t2", "sms", "+14155550100", at=LATER, by="api") is False
    assert await repository.suppression("t1", "sms", "+14155550100") is OPT_OUT


async def test_the_listing_filters_and_pages_in_address_order(
    repository: SuppressionRepository,
) -> None:
    for n in (3, 1, 2):
        await repository.suppress("t1", "sms", f"+1415555010{n}", OPT_OUT, NOW)
    await repository.suppress("t1", "email", "a@example.com", UNSUBSCRIBED, NOW, campaign_id="c")
    await repository.suppress("t1", "email", "b@example.com", SuppressionReason.HARD_BOUNCE, NOW)

    everything = await repository.list_suppressions("t1")
    assert [(s.channel, s.address) for s in everything] == [
        ("email", "a@example.com"),
        ("email", "b@example.com"),
        ("sms", "+14155550101"),
        ("sms", "+14155550102"),
        ("sms", "+14155550103"),
    ]
    first = await repository.list_suppressions("t1", limit=2)
    rest = await repository.list_suppressions(
        "t1", after=(first[-1].channel, first[-1].address), limit=10
    )
    assert first + rest == everything
    sms = await repository.list_suppressions("t1", channel="sms")
    assert [s.address for s in sms] == ["+14155550101", "+14155550102", "+14155550103"]
    bounces = await repository.list_suppressions("t1", reason=SuppressionReason.HARD_BOUNCE)
    assert [s.address for s in bounces] == ["b@example.com"]
    assert await repository.unsubscribes_of("t1", "c") == 1
    assert await repository.unsubscribes_of("t1", "other") == 0


async def test_each_suppress_that_was_new_and_each_lift_is_audited_with_who_and_when(
    repository: SuppressionRepository,
) -> None:
    phone = "+14155550100"
    await repository.suppress("t1", "sms", phone, OPT_OUT, NOW, by="sms:inbound")
    await repository.suppress("t1", "sms", phone, OPT_OUT, NOW + timedelta(minutes=1))
    await repository.unsuppress("t1", "sms", phone, at=LATER, by="sms:inbound")
    await repository.unsuppress("t1", "sms", phone, at=LATER, by="api")
    again = LATER + timedelta(minutes=1)
    await repository.suppress("t1", "sms", phone, UNSUBSCRIBED, again, by="api")

    def change(action: Literal["suppressed", "lifted"], *rest: Any) -> SuppressionChange:
        return SuppressionChange("t1", "sms", phone, action, *rest)

    assert await repository.changes("t1", "sms", phone) == [
        change("suppressed", OPT_OUT, NOW, "sms:inbound"),
        change("lifted", OPT_OUT, LATER, "sms:inbound"),
        change("suppressed", UNSUBSCRIBED, again, "api"),
    ]
    assert await repository.changes("t2", "sms", phone) == []


async def test_an_unsubscribe_stays_its_campaigns_after_a_later_suppress(
    repository: SuppressionRepository,
) -> None:
    await repository.suppress("t1", "email", "a@x.io", UNSUBSCRIBED, NOW, campaign_id="k1")
    await repository.suppress("t1", "email", "a@x.io", SuppressionReason.HARD_BOUNCE, LATER)
    await repository.suppress("t1", "sms", "a@x.io", OPT_OUT, NOW, campaign_id="k1")
    assert await repository.suppression("t1", "email", "a@x.io") is UNSUBSCRIBED
    assert await repository.unsubscribes_of("t1", "k1") == 1
    assert await repository.unsubscribes_of("t2", "k1") == 0


async def test_the_suppressed_among_many_addresses_come_in_one_lookup(
    repository: SuppressionRepository,
) -> None:
    await repository.suppress("t1", "email", "a@x.io", UNSUBSCRIBED, NOW)
    await repository.suppress("t1", "sms", "b@x.io", OPT_OUT, NOW)
    await repository.suppress("t2", "email", "c@x.io", UNSUBSCRIBED, NOW)
    among = await repository.suppressions_among("t1", "email", ["a@x.io", "b@x.io", "c@x.io"])
    assert among == {"a@x.io": UNSUBSCRIBED}
    assert await repository.suppressions_among("t1", "email", []) == {}
