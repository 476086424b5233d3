"""What the code assumes of the local store, proved against the real server.

Runs on whichever store `LISTFLOW_STORE` selects (FerretDB 2 on DocumentDB, or FerretDB 1.24).
FerretDB 1.24 loses concurrent updates of one document (issue 17), so the first two tests are
expected to fail there; they are marked so, and must pass on FerretDB 2.
"""

import asyncio
import hashlib
import random
from pathlib import Path
from typing import Any

import pytest
from gridfs import AsyncGridFSBucket
from listflow.devstack import infra
from listflow.ingest.adapters.file_store import FileStore
from listflow.kit.mongo import DUPLICATE_KEY, REPLACE_CHUNK, replace_many
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, DuplicateKeyError

Database = AsyncDatabase[dict[str, Any]]

FERRETDB1 = infra.store() == "ferretdb1"
loses_concurrent_updates = pytest.mark.xfail(
    FERRETDB1, reason="FerretDB 1.24 loses concurrent updates of one document", strict=False
)
WRITERS = 8


async def _writers(database: Database) -> list[AsyncMongoClient[dict[str, Any]]]:
    # One client each: every writer has its own connections, so the server sees them race.
    clients: list[AsyncMongoClient[dict[str, Any]]] = [
        AsyncMongoClient(infra.PROFILES["test"].mongodb_url) for _ in range(WRITERS)
    ]
    for client in clients:
        await client.admin.command("ping")
    return clients


@loses_concurrent_updates
async def test_concurrent_increments_of_one_document_all_land(database: Database) -> None:
    await database.counters.insert_one({"_id": "tally", "n": 0, "by": {}})
    clients = await _writers(database)
    per_writer = 200

    async def writer(index: int, client: AsyncMongoClient[dict[str, Any]]) -> None:
        counters = client[database.name].counters
        for _ in range(per_writer):
            await counters.update_one({"_id": "tally"}, {"$inc": {"n": 1, f"by.w{index}": 1}})

    try:
        await asyncio.gather(*(writer(i, c) for i, c in enumerate(clients)))
    finally:
        for client in clients:
            await client.close()
    tally = await database.counters.find_one({"_id": "tally"})
    assert tally is not None
    assert tally["n"] == WRITERS * per_writer
    assert tally["by"] == {f"w{i}": per_writer for i in range(WRITERS)}


@loses_concurrent_updates
async def test_versioned_replaces_of_one_document_let_one_writer_win_each_version(
    database: Database,
) -> None:
    await database.docs.insert_one({"_id": "doc", "version": 0, "writer": None})
    clients = await _writers(database)
    rounds = 40

    async def attempt(client: AsyncMongoClient[dict[str, Any]], index: int, version: int) -> int:
        result = await client[database.name].docs.replace_one(
            {"_id": "doc", "version": version},
            {"version": version + 1, "writer": index},
        )
        return result.modified_count

    try:
        # Every writer tries to move the same version on at once: exactly one may succeed.
        for version in range(rounds):
            outcomes = await asyncio.gather(
                *(attempt(client, i, version) for i, client in enumerate(clients))
            )
            assert sorted(outcomes) == [0] * (WRITERS - 1) + [1], f"version {version}"
            stored = await database.docs.find_one({"_id": "doc"})
            assert stored is not None
            assert stored["version"] == version + 1
            assert stored["writer"] == outcomes.index(1)

        # Free-running: each writer reads and replaces in a loop; the wins add up to the
        # versions made, and no version was won twice.
        won: list[int] = []

        async def loop(client: AsyncMongoClient[dict[str, Any]], index: int) -> None:
            docs = client[database.name].docs
            for _ in range(25):
                current = await docs.find_one({"_id": "doc"})
                assert current is not None
                version = current["version"]
                result = await docs.replace_one(
                    {"_id": "doc", "version": version}, {"version": version + 1, "writer": index}
                )
                if result.modified_count:
                    won.append(version + 1)

        await asyncio.gather(*(loop(client, i) for i, client in enumerate(clients)))
    finally:
        for client in clients:
            await client.close()
    final = await database.docs.find_one({"_id": "doc"})
    assert final is not None
    assert len(won) == len(set(won)) == final["version"] - rounds
    assert sorted(won) == list(range(rounds + 1, final["version"] + 1))


@loses_concurrent_updates
async def test_bulk_versioned_replaces_race_like_single_ones(database: Database) -> None:
    """`replace_many` sends its compare-and-sets a thousand to a request: two writers racing
    over the same documents with the same read versions must still win each document once."""
    count = REPLACE_CHUNK + 200  # more than one request each
    await database.docs.insert_many([{"_id": i, "version": 1} for i in range(count)])
    clients = await _writers(database)

    async def writer(client: AsyncMongoClient[dict[str, Any]], index: int) -> int:
        replaced = await replace_many(
            client[database.name].docs,
            [({"_id": i, "version": 1}, {"version": 2, "writer": index}) for i in range(count)],
        )
        return replaced.matched

    try:
        wins = await asyncio.gather(*(writer(client, i) for i, client in enumerate(clients)))
    finally:
        for client in clients:
            await client.close()
    assert sum(wins) == count
    stored = await database.docs.find({}, {"version": 1, "writer": 1}).to_list()
    assert {d["version"] for d in stored} == {2}
    by_writer = [sum(1 for d in stored if d["writer"] == i) for i in range(WRITERS)]
    assert by_writer == wins


async def test_guarded_bulk_upserts_insert_new_and_refuse_where_a_newer_one_is_stored(
    database: Database,
) -> None:
    await database.docs.insert_many(
        [{"_id": "older", "version": 1}, {"_id": "newer", "version": 5}]
    )
    versions = [("older", 3), ("newer", 3), ("absent", 1)]
    replaced = await replace_many(
        database.docs,
        [({"_id": i, "version": {"$lt": v}}, {"_id": i, "version": v}) for i, v in versions],
        upsert=True,
    )
    assert replaced.refused == {1}
    assert replaced.matched == 1
    stored = {d["_id"]: d["version"] async for d in database.docs.find({})}
    assert stored == {"older": 3, "newer": 5, "absent": 1}


async def test_unique_index_answers_duplicate_key_11000(database: Database) -> None:
    await database.people.create_index("email", unique=True)
    await database.people.insert_one({"email": "a@example.com"})

    with pytest.raises(DuplicateKeyError) as single:
        await database.people.insert_one({"email": "a@example.com"})
    assert single.value.code == DUPLICATE_KEY

    with pytest.raises(BulkWriteError) as bulk:
        await database.people.insert_many(
            [{"email": "b@example.com"}, {"email": "a@example.com"}, {"email": "c@example.com"}],
            ordered=False,
        )
    errors = bulk.value.details["writeErrors"]
    assert [(error["index"], error["code"]) for error in errors] == [(1, DUPLICATE_KEY)]
    assert await database.people.count_documents({}) == 3


@pytest.mark.xfail(FERRETDB1, reason="FerretDB 1.24 answers InternalError (1)", strict=True)
async def test_update_onto_a_unique_key_answers_duplicate_key_11000(database: Database) -> None:
    await database.people.create_index("email", unique=True)
    await database.people.insert_many([{"email": "a@example.com"}, {"email": "b@example.com"}])

    with pytest.raises(DuplicateKeyError) as update:
        await database.people.update_one(
            {"email": "b@example.com"}, {"$set": {"email": "a@example.com"}}
        )
    assert update.value.code == DUPLICATE_KEY


def _payload(path: Path, size: int) -> str:
    generator = random.Random(17)
    digest = hashlib.sha256()
    with path.open("wb") as target:
        left = size
        while left:
            block = generator.randbytes(min(left, 1 << 20))
            digest.update(block)
            target.write(block)
            left -= len(block)
    return digest.hexdigest()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        while block := source.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


async def test_gridfs_file_over_48_mb_streams_back_intact(
    database: Database, tmp_path: Path
) -> None:
    size = 50 * 1024 * 1024 + 12345  # over the 48 MB wire-protocol message limit
    source = tmp_path / "upload.bin"
    expected = _payload(source, size)
    store = FileStore(database)
    await store.put("big", source, "upload.bin", {"tenant": "t"})

    copy = tmp_path / "copy.bin"
    await store.fetch("big", copy)
    assert copy.stat().st_size == size
    assert _sha256(copy) == expected


@pytest.mark.skipif(FERRETDB1, reason="FerretDB 1.24 answers GridFS's one-cursor read over 48 MB")
async def test_gridfs_own_reader_streams_a_file_over_48_mb(
    database: Database, tmp_path: Path
) -> None:
    size = 50 * 1024 * 1024 + 12345
    source = tmp_path / "upload.bin"
    expected = _payload(source, size)
    await FileStore(database).put("big", source, "upload.bin", {})

    bucket = AsyncGridFSBucket(database, bucket_name="files")
    digest = hashlib.sha256()
    length = 0
    stream = await bucket.open_download_stream("big")
    while block := await stream.read(1 << 20):
        digest.update(block)
        length += len(block)
    assert length == size
    assert digest.hexdigest() == expected
