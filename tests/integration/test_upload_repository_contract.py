"""One contract for every ingest upload store (uploads and the outcome ledger): the
in-memory fake and MongoDB (FerretDB here)."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from listflow.ingest.adapters.memory_repository import InMemoryUploadRepository
from listflow.ingest.adapters.mongo_repository import MongoUploadRepository
from listflow.ingest.domain.upload import UploadStatus
from listflow.ingest.ports import UploadStore

from tests.conftest import fresh_database

NOW = datetime(2026, 3, 1, tzinfo=UTC)


@pytest.fixture(params=["memory", "ferretdb"])
async def store(request: pytest.FixtureRequest) -> AsyncIterator[UploadStore]:
    if request.param == "memory":
        yield InMemoryUploadRepository()
        return
    async with fresh_database() as db:
        repo = MongoUploadRepository(db)
        await repo.ensure_indexes()
        yield repo


def upload(uid: str, tenant: str = "t1", **fields: Any) -> dict[str, Any]:
    return {
        "_id": uid,
        "tenant_id": tenant,
        "status": UploadStatus.IMPORTING.value,
        "target": {"kind": "group", "id": "g1", "name": "Spring"},
        "created_at": NOW,
        "total_rows": None,
        "lease_owner": None,
        "lease_until": None,
        "announced": False,
        **fields,
    }


def outcome(row: int, status: str, reason: str | None = None) -> dict[str, Any]:
    return {"row_number": row, "status": status, "record_id": f"c{row}", "reason": reason}


async def test_an_upload_is_read_by_its_tenant_only(store: UploadStore) -> None:
    await store.insert(upload("u1"))
    got = await store.get("t1", "u1")
    assert got is not None and got["target"]["name"] == "Spring" and got["tally"] == {}
    assert await store.get("t2", "u1") is None
    assert (await store.get_any("u1") or {})["tenant_id"] == "t1"
    assert await store.get_any("nope") is None


async def test_only_one_of_two_racing_transitions_wins(store: UploadStore) -> None:
    await store.insert(upload("u1"))
    done = {"status": UploadStatus.COMPLETED.value}
    results = await asyncio.gather(
        store.transition("u1", [UploadStatus.IMPORTING], done),
        store.transition("u1", [UploadStatus.IMPORTING], {"status": "cancelled"}),
    )
    assert sum(r is not None for r in results) == 1
    assert await store.transition("u1", [UploadStatus.IMPORTING], done) is None
    await store.update("u1", {"announced": True})
    assert (await store.get("t1", "u1") or {})["announced"] is True


async def test_outcomes_count_once_per_row_in_the_uploads_tally(store: UploadStore) -> None:
    await store.insert(upload("u1"))
    first = await store.record("u1", [outcome(1, "imported"), outcome(2, "invalid", "bad")])
    assert first.by_status == {"imported": 1, "invalid": 1}
    replay = await store.record("u1", [outcome(2, "invalid", "bad"), outcome(3, "failed")])
    assert replay.by_status == {"failed": 1}
    assert (await store.get("t1", "u1") or {})["tally"] == {
        "imported": 1,
        "invalid": 1,
        "failed": 1,
    }
    assert (await store.recount("u1")).by_status == {"imported": 1, "invalid": 1, "failed": 1}
    assert [o["row_number"] for o in [o async for o in store.errors("u1")]] == [2, 3]
    rows = [(o["row_number"], o["status"]) async for o in store.outcomes("u1")]
    assert rows == [(1, "imported"), (2, "invalid"), (3, "failed")]
    await store.set_tally("u1", {"imported": 5})
    assert (await store.get("t1", "u1") or {})["tally"] == {"imported": 5}
    assert (
        await store.record(
            "u1",
            [],
        )
    ).processed == 0


async def test_racing_outcome_batches_and_progress_writes_keep_every_count(
    store: UploadStore,
) -> None:
    """The importer and the outcomes consumer count into one tally while the importer writes
    its progress to the same upload: no write undoes another (each update is atomic)."""
    await store.insert(upload("u1"))
    batches = [[outcome(b * 50 + i, "imported") for i in range(50)] for b in range(16)]
    await asyncio.gather(
        *(store.record("u1", batch) for batch in batches),
        *(store.update("u1", {"rows_read": n}) for n in range(16)),
    )
    doc = await store.get("t1", "u1") or {}
    assert doc["tally"] == {"imported": 800}
    assert doc["status"] == UploadStatus.IMPORTING.value


async def test_a_completed_upload_carries_its_own_final_tally(store: UploadStore) -> None:
    await store.insert(upload("u1"))
    await store.record("u1", [outcome(1, "imported")])
    final = {"status": UploadStatus.COMPLETED.value, "tally": {"imported": 9}}
    await store.transition("u1", [UploadStatus.IMPORTING], final)
    assert (await store.get("t1", "u1") or {})["tally"] == {"imported": 9}
    await store.record("u1", [outcome(2, "imported")])
    assert (await store.get("t1", "u1") or {})["tally"] == {"imported": 9}


async def test_history_is_newest_first_paged_and_filtered(store: UploadStore) -> None:
    for i in range(5):
        await store.insert(
            upload(
                f"u{i}",
                created_at=NOW + timedelta(hours=i),
                status="completed" if i % 2 else "importing",
            )
        )
    await store.insert(upload("u9", tenant="t2"))
    await store.insert(upload("u5", target={"kind": "group", "id": "g2", "name": "Fall"}))

    async def page(**filters: Any) -> tuple[list[str], str | None]:
        args: dict[str, Any] = {
            "limit": 2,
            "cursor": None,
            "status": None,
            "target": None,
            "created_from": None,
            "created_to": None,
            **filters,
        }
        docs, cursor = await store.history("t1", **args)
        return [d["_id"] for d in docs], cursor

    assert await page() == (["u5", "u4"], "u4")
    assert await page(cursor="u4") == (["u3", "u2"], "u2")
    assert await page(cursor="u2") == (["u1", "u0"], None)
    assert await page(limit=10, status="completed") == (["u3", "u1"], None)
    assert await page(limit=10, target="Fall") == (["u5"], None)
    assert await page(limit=10, target="g2") == (["u5"], None)
    window = {"created_from": NOW + timedelta(hours=1), "created_to": NOW + timedelta(hours=3)}
    assert await page(limit=10, **window) == (["u2", "u1"], None)


async def test_unfinished_are_importing_or_completed_unannounced(store: UploadStore) -> None:
    await store.insert(upload("a"))
    await store.insert(upload("b", status="completed", announced=False))
    await store.insert(upload("c", status="completed", announced=True))
    await store.insert(upload("d", status="cancelled"))
    assert sorted(d["_id"] for d in await store.unfinished()) == ["a", "b"]


async def test_one_process_holds_the_lease_until_it_expires(store: UploadStore) -> None:
    await store.insert(upload("u1"))
    until = NOW + timedelta(seconds=30)
    assert (await store.claim("u1", "p1", NOW, until) or {})["lease_owner"] == "p1"
    assert await store.claim("u1", "p2", NOW + timedelta(seconds=1), until) is None
    # The holder renews; once the lease lapses another process takes over.
    assert await store.claim("u1", "p1", NOW + timedelta(seconds=5), until) is not None
    later = NOW + timedelta(seconds=31)
    assert (await store.claim("u1", "p2", later, later + timedelta(seconds=30)) or {})[
        "lease_owner"
    ] == "p2"
    # Once the file is read (total rows known), there is nothing left to claim.
    await store.update("u1", {"total_rows": 10})
    assert await store.claim("u1", "p3", later + timedelta(minutes=5), later) is None
