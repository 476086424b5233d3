"""MongoDB client plumbing. Only what both MongoDB and FerretDB support: no transactions."""

import asyncio
from collections.abc import Awaitable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from pymongo import AsyncMongoClient, ReplaceOne, UpdateOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError, OperationFailure

DUPLICATE_KEY = 11000
_INDEX_NOT_FOUND = 27
# How FerretDB 2 (DocumentDB) words a unique-index violation of an update (see is_duplicate_key).
_EXCLUSION = "conflicting key value violates exclusion constraint"

Document = dict[str, Any]
T = TypeVar("T")

# Point operations in flight at once per call: enough to hide round trips, few enough to
# leave the server's connection pool to other work.
POINT_CONCURRENCY = 16


async def gather_bounded(
    operations: Iterable[Awaitable[T]], limit: int = POINT_CONCURRENCY
) -> list[T]:
    """Run many single-document operations with at most `limit` in flight: writes that must
    each be conditional (a versioned replace, a claim), where one multi-statement bulk
    update would stall FerretDB 1.24 and tell no caller which document failed. Lookups of
    many values go by `find_any` instead."""
    semaphore = asyncio.Semaphore(limit)

    async def run(operation: Awaitable[T]) -> T:
        async with semaphore:
            return await operation

    return await asyncio.gather(*(run(op) for op in operations))


# Values per `$in` query of `find_any`, and such queries in flight at once.
IN_CHUNK = 1000
IN_CONCURRENCY = 4
# The first batch asked of a query whose answer is bounded (a `$in` of a chunk, a `limit`):
# all of it in one reply (the server still caps a batch at 16 MiB). A query answered in
# several batches is a cursor, and FerretDB 2 keeps a cursor DocumentDB wants to resume on
# the same connection by taking that connection out of its pool and closing it when the
# cursor ends: PostgreSQL then starts a new backend for the pool, ~10 ms of the store's CPU
# each time. A `$in` of 1,000 values on a secondary index cost the store ~61 ms of CPU with
# the default first batch (101 documents) against ~20 ms in one batch; a `find` limited to
# 500, ~14 against ~3 (docs/performance.md, s12).
ONE_BATCH = 100_000


async def find_any(
    collection: AsyncCollection[Document],
    field: str,
    values: Collection[Any],
    projection: Mapping[str, Any] | None = None,
) -> list[Document]:
    """The documents whose `field` holds any of `values`: one `$in` per IN_CHUNK values on
    the field's index. FerretDB 2 (DocumentDB) serves `$in` from the index at ~20 us a value
    found and ~8 us a value absent, against ~1.7 ms for one equality query per value
    (`make bench`, "lookup" lines; on FerretDB 1.24 `$in` scanned the whole collection).
    Each document comes once, though it may match values of several chunks."""
    unique = list(dict.fromkeys(values))
    chunks = [unique[i : i + IN_CHUNK] for i in range(0, len(unique), IN_CHUNK)]
    found = await gather_bounded(
        (
            collection.find({field: {"$in": chunk}}, projection).batch_size(ONE_BATCH).to_list()
            for chunk in chunks
        ),
        limit=IN_CONCURRENCY,
    )
    unique_docs: dict[Any, Document] = {}
    for docs in found:
        for doc in docs:
            unique_docs.setdefault(doc["_id"], doc)
    return list(unique_docs.values())


# Replacements per `bulk_write` of `replace_many`.
REPLACE_CHUNK = 1000


@dataclass(frozen=True, slots=True)
class Replaced:
    """What `replace_many` did: how many filters matched (each then replaced its document),
    and the positions whose upsert hit a document already there (a guarded upsert that lost:
    the stored document is newer)."""

    matched: int
    refused: frozenset[int]


async def replace_many(
    collection: AsyncCollection[Document],
    replacements: Sequence[tuple[Mapping[str, Any], Document]],
    *,
    upsert: bool = False,
) -> Replaced:
    """Conditional replacements, each (filter, document), as unordered bulk writes of
    REPLACE_CHUNK: each stays a single-document compare-and-set, but a thousand travel in one
    request. On FerretDB 2 that is ~11,000 replacements/s at ~5-9 us of the caller's CPU
    each, against ~2,300/s and ~200 us as separate operations (issue 17, docs/performance.md).
    With `upsert`, a filter that matches nothing inserts; when its `_id` is already stored
    (the filter's other conditions failed) that position is `refused`, not an error."""
    return await _bulk(
        collection, [ReplaceOne(dict(f), doc, upsert=upsert) for f, doc in replacements], upsert
    )


async def update_each(
    collection: AsyncCollection[Document],
    updates: Sequence[tuple[Mapping[str, Any], Mapping[str, Any]]],
    *,
    upsert: bool = False,
) -> Replaced:
    """`replace_many` for conditional updates, each (filter, update operators): for a
    document that gains to a field (`$addToSet`) rather than being written whole."""
    return await _bulk(
        collection, [UpdateOne(dict(f), dict(u), upsert=upsert) for f, u in updates], upsert
    )


async def _bulk(
    collection: AsyncCollection[Document],
    operations: Sequence[ReplaceOne[Document] | UpdateOne],
    upsert: bool,
) -> Replaced:
    matched = 0
    refused: set[int] = set()
    for start in range(0, len(operations), REPLACE_CHUNK):
        chunk = operations[start : start + REPLACE_CHUNK]
        try:
            result = await collection.bulk_write(list(chunk), ordered=False)
            matched += result.matched_count
        except BulkWriteError as error:
            if not upsert:
                raise
            refused.update(start + i for i in _duplicate_positions(error))
            matched += error.details.get("nMatched", 0)
    return Replaced(matched=matched, refused=frozenset(refused))


def _duplicate_positions(error: BulkWriteError) -> set[int]:
    write_errors = error.details.get("writeErrors", [])
    duplicates = {
        e["index"]
        for e in write_errors
        if e.get("code") == DUPLICATE_KEY or _EXCLUSION in str(e.get("errmsg", ""))
    }
    if len(duplicates) != len(write_errors):
        raise error
    return duplicates


def make_client(url: str) -> AsyncMongoClient[Document]:
    return AsyncMongoClient(url, tz_aware=True, uuidRepresentation="standard", maxPoolSize=50)


async def insert_new(collection: AsyncCollection[Document], docs: Sequence[Document]) -> set[int]:
    """Insert the documents in one unordered write (each insert atomic on its unique keys);
    the positions of those whose key was already stored. Any other failure is raised."""
    if not docs:
        return set()
    try:
        await collection.insert_many(list(docs), ordered=False)
    except BulkWriteError as error:
        return duplicate_key_indexes(error)
    return set()


def duplicate_key_indexes(error: BulkWriteError) -> set[int]:
    """Positions in an unordered bulk write that failed only because the key already existed."""
    write_errors = error.details.get("writeErrors", [])
    others = [e for e in write_errors if e.get("code") != DUPLICATE_KEY]
    if others:
        raise error
    return {e["index"] for e in write_errors}


async def drop_index_if_present(collection: AsyncCollection[Document], name: str) -> None:
    """Drop an index an earlier version made; none is fine, and so is another instance
    starting beside this one dropping it first."""
    if name in await collection.index_information():
        try:
            await collection.drop_index(name)
        except OperationFailure as exc:
            if exc.code != _INDEX_NOT_FOUND:
                raise


def is_duplicate_key(error: OperationFailure) -> bool:
    """Whether a single write failed on a unique index. MongoDB says so with code 11000 for
    inserts and updates alike; FerretDB 2 on DocumentDB does for inserts, but an update that
    would duplicate a unique key fails with code 1 (InternalError) naming the exclusion
    constraint DocumentDB builds the index as (seen on a rename racing another)."""
    if error.code == DUPLICATE_KEY:
        return True
    return _EXCLUSION in str(error)
