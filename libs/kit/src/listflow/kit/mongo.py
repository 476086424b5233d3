"""MongoDB client plumbing. Only what both MongoDB and FerretDB support: no transactions."""

import asyncio
from collections.abc import Awaitable, Iterable
from typing import Any, TypeVar

from pymongo import AsyncMongoClient
from pymongo.errors import BulkWriteError, OperationFailure

DUPLICATE_KEY = 11000

Document = dict[str, Any]
T = TypeVar("T")

# Point operations in flight at once per call: enough to hide round trips, few enough to
# leave the server's connection pool to other work.
POINT_CONCURRENCY = 16


async def gather_bounded(
    operations: Iterable[Awaitable[T]], limit: int = POINT_CONCURRENCY
) -> list[T]:
    """Run many single-document operations with at most `limit` in flight.

    Lookups and updates go one equality query or one document each rather than as one `$in`
    query or one multi-statement bulk update: FerretDB answers `$in` by scanning the whole
    collection and stalls on large bulk updates, while single equality operations on indexed
    fields are index lookups on both FerretDB and MongoDB (docs/performance.md).
    """
    semaphore = asyncio.Semaphore(limit)

    async def run(operation: Awaitable[T]) -> T:
        async with semaphore:
            return await operation

    return await asyncio.gather(*(run(op) for op in operations))


def make_client(url: str) -> AsyncMongoClient[Document]:
    return AsyncMongoClient(url, tz_aware=True, uuidRepresentation="standard", maxPoolSize=50)


def duplicate_key_indexes(error: BulkWriteError) -> set[int]:
    """Positions in an unordered bulk write that failed only because the key already existed."""
    write_errors = error.details.get("writeErrors", [])
    others = [e for e in write_errors if e.get("code") != DUPLICATE_KEY]
    if others:
        raise error
    return {e["index"] for e in write_errors}


def is_duplicate_key(error: OperationFailure) -> bool:
    """Whether a single write failed on a unique index. MongoDB says so with code 11000 for
    inserts and updates alike; FerretDB 2 on DocumentDB does for inserts, but an update that
    would duplicate a unique key fails with code 1 (InternalError) naming the exclusion
    constraint DocumentDB builds the index as (seen on a rename racing another)."""
    if error.code == DUPLICATE_KEY:
        return True
    return "conflicting key value violates exclusion constraint" in str(error)
