"""MongoDB client plumbing. Only what both MongoDB and FerretDB support: no transactions."""

from typing import Any

from pymongo import AsyncMongoClient
from pymongo.errors import BulkWriteError

DUPLICATE_KEY = 11000

Document = dict[str, Any]


def make_client(url: str) -> AsyncMongoClient[Document]:
    return AsyncMongoClient(url, tz_aware=True, uuidRepresentation="standard", maxPoolSize=50)


def duplicate_key_indexes(error: BulkWriteError) -> set[int]:
    """Positions in an unordered bulk write that failed only because the key already existed."""
    write_errors = error.details.get("writeErrors", [])
    others = [e for e in write_errors if e.get("code") != DUPLICATE_KEY]
    if others:
        raise error
    return {e["index"] for e in write_errors}
