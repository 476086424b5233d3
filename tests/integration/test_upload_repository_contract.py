"""One contract for every ingest upload store (uploads and the outcome ledger): the
in-memory fake and MongoDB (FerretDB here)."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from bson.codec_options import CodecOptions
from listflow.ingest.adapters.memory_repository import InMemoryUploadRepository
from listflow.ingest.adapters.mongo_repository import MongoUploadRepository
from listflow.ingest.domain.upload import Lease, Upload, UploadChange, UploadStatus
from listflow.ingest.ports import UploadStore

from tests.conftest import fresh_database

NOW = datetime(2026, 3, 1, tzinfo=UTC)


@pytest.fixture(params=["memory", "ferretdb"])
async def store(request: pytest.FixtureRequest) -> AsyncIterator[UploadStore]:
    if request.param == "memory":
        yield InMemoryUploadRepository()
        return
    async with fresh_database() as db:
        # Datetimes read back aware, as the services' client reads them (listflow.kit.mongo).
        repo = MongoUploadRepository(db.with_options(codec_options=CodecOptions(tz_aware=True)))
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


IMPORTING = frozenset({UploadStatus.IMPORTING})


async def test_only_one_of_two_racing_transitions_wins(store: UploadStore) -> None:
    await store.insert(upload("u1"))
    done = UploadChange({"status": UploadStatus.COMPLETED.value}, IMPORTING)
    results = await asyncio.gather(
        store.apply("u1", done), store.apply("u1", UploadChange({"status": "cancelled"}, IMPORTING))
    )
    assert sum(r is not None for r in results) == 1
    assert await store.apply("u1", done) is None
    after = await store.apply("u1", UploadChange({"announced": True}))
    assert after is not None and after["announced"] is True
    assert (await store.get("t1", "u1") or {})["announced"] is True
    assert await store.apply("nope", UploadChange({"announced": True})) is None


async def test_the_aggregates_changes_apply_as_they_say(store: UploadStore) -> None:
    """Start, progress with the lease, the parse, a failure: each a change of the aggregate,
    applied by the store only from the statuses it names."""
    await store.insert(upload("u1", status=UploadStatus.UPLOADED.value, options={}, headers=[]))
    doc = await store.get("t1", "u1")
    assert doc is not None
    aggregate = Upload.from_document(doc)
    start = aggregate.start(
        options=aggregate.options,
        target=aggregate.target,  # type: ignore[arg-type]
        match=aggregate.options.match,
        mapping={0: "email"},
        date_orders=[],
        now=NOW,
    )
    started = await store.apply("u1", start)
    assert started is not None and started["status"] == "importing"
    assert started["mapping"] == {"0": "email"} and started["started_at"] == NOW
    assert await store.apply("u1", start) is None  # a second start finds it importing
    importing = Upload.from_document(started)
    lease = Lease.taken("p1", NOW)
    await store.apply("u1", importing.read_progress(40, lease))
    got = Upload.from_document(await store.get("t1", "u1") or {})
    assert got.lease == lease and not got.left_unread(NOW)
    assert got.left_unread(lease.until + timedelta(seconds=1))
    read = importing.file_read(rows=50, published=48, invalid=2, duplicates=0, now=NOW)
    parsed = await store.apply("u1", read)
    assert parsed is not None and (parsed["rows_read"], parsed["total_rows"]) == (50, 50)
    failed = await store.apply("u1", importing.fail("the file is broken"))
    assert failed is not None and (failed["status"], failed["failure"]) == (
        "failed",
        "the file is broken",
    )
    assert await store.apply("u1", importing.fail("again")) is None


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
        *(store.apply("u1", UploadChange({"rows_read": n})) for n in range(16)),
    )
    doc = await store.get("t1", "u1") or {}
    assert doc["tally"] == {"imported": 800}
    assert doc["status"] == UploadStatus.IMPORTING.value


async def test_a_completed_upload_carries_its_own_final_tally(store: UploadStore) -> None:
    await store.insert(upload("u1"))
    await store.record("u1", [outcome(1, "imported")])
    final = {"status": UploadStatus.COMPLETED.value, "tally": {"imported": 9}}
    await store.apply("u1", UploadChange(final, IMPORTING))
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
    first = Lease.taken("p1", NOW)
    assert (await store.claim("u1", first, NOW) or {})["lease_owner"] == "p1"
    second = timedelta(seconds=1)
    assert await store.claim("u1", Lease.taken("p2", NOW + second), NOW + second) is None
    # The holder renews; once the lease lapses another process takes over.
    renewed = Lease.taken("p1", NOW + 5 * second)
    assert await store.claim("u1", renewed, NOW + 5 * second) is not None
    later = renewed.until + second
    taken = await store.claim("u1", Lease.taken("p2", later), later) or {}
    assert (taken["lease_owner"], taken["lease_until"]) == ("p2", later + timedelta(seconds=30))
    # Once the file is read (total rows known), there is nothing left to claim.
    await store.apply("u1", UploadChange({"total_rows": 10}))
    much_later = later + 300 * second
    assert await store.claim("u1", Lease.taken("p3", much_later), much_later) is None
