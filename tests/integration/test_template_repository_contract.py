"""One contract for every message-template repository: the in-memory fake and MongoDB
(FerretDB here)."""

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from listflow.campaigns.adapters.memory_repository import InMemoryTemplateRepository
from listflow.campaigns.adapters.mongo_repository import MongoTemplateRepository
from listflow.campaigns.domain.templates import MessageTemplate, TemplateContent
from listflow.campaigns.ports import TemplateRepository

from tests.conftest import fresh_database

NOW = datetime(2026, 3, 1, tzinfo=UTC)
EMAIL = TemplateContent("email", subject="Hi {{ first_name }}", html="<p>{{ portal_url }}</p>")
SMS = TemplateContent("sms", body="Pay at {{ portal_url }}")


@pytest.fixture(params=["memory", "ferretdb"])
async def repository(request: pytest.FixtureRequest) -> AsyncIterator[TemplateRepository]:
    if request.param == "memory":
        yield InMemoryTemplateRepository()
        return
    async with fresh_database() as db:
        repo = MongoTemplateRepository(db)
        await repo.ensure_indexes()
        yield repo


def template(
    tid: str, tenant: str = "t1", content: TemplateContent = EMAIL, at: int = 0
) -> MessageTemplate:
    return MessageTemplate.new(
        id=tid, tenant_id=tenant, name=f"T {tid}", content=content, now=NOW + timedelta(seconds=at)
    )


async def test_a_saved_template_reads_back_equal(repository: TemplateRepository) -> None:
    saved = template("a")
    await repository.insert_template(saved)
    assert await repository.get_template("t1", "a") == saved
    sms = template("b", content=SMS)
    await repository.insert_template(sms)
    assert await repository.get_template("t1", "b") == sms


async def test_templates_list_oldest_first_per_tenant(repository: TemplateRepository) -> None:
    for tid, tenant, at in [("c", "t1", 2), ("a", "t1", 1), ("x", "t2", 0), ("b", "t1", 1)]:
        await repository.insert_template(template(tid, tenant, at=at))
    assert [t.id for t in await repository.list_templates("t1")] == ["a", "b", "c"]
    assert [t.id for t in await repository.list_templates("t2")] == ["x"]
    assert await repository.list_templates("t3") == []


async def test_another_tenant_can_neither_read_replace_nor_delete(
    repository: TemplateRepository,
) -> None:
    saved = template("a")
    await repository.insert_template(saved)
    assert await repository.get_template("t2", "a") is None
    foreign = replace(saved, tenant_id="t2", version=2)
    assert not await repository.replace_template(foreign, expected_version=1)
    assert not await repository.delete_template("t2", "a")
    assert await repository.get_template("t1", "a") == saved


async def test_replace_is_a_compare_and_set_on_the_version(repository: TemplateRepository) -> None:
    saved = template("a")
    await repository.insert_template(saved)
    revised = saved.revised(name="New", content=SMS, now=NOW + timedelta(minutes=1))
    assert await repository.replace_template(revised, expected_version=1)
    assert await repository.get_template("t1", "a") == revised
    stale = saved.revised(name="Stale", content=EMAIL, now=NOW)
    assert not await repository.replace_template(stale, expected_version=1)
    assert (await repository.get_template("t1", "a")) == revised


async def test_concurrent_updates_of_one_version_leave_exactly_one_winner(
    repository: TemplateRepository,
) -> None:
    saved = template("a")
    await repository.insert_template(saved)
    rivals = [saved.revised(name=f"R{n}", content=EMAIL, now=NOW) for n in range(8)]
    won = await asyncio.gather(
        *(repository.replace_template(r, expected_version=1) for r in rivals)
    )
    assert sum(won) == 1
    stored = await repository.get_template("t1", "a")
    assert stored is not None and stored.version == 2
    assert stored.name == rivals[won.index(True)].name


async def test_delete_removes_once(repository: TemplateRepository) -> None:
    await repository.insert_template(template("a"))
    assert await repository.delete_template("t1", "a")
    assert not await repository.delete_template("t1", "a")
    assert await repository.get_template("t1", "a") is None
