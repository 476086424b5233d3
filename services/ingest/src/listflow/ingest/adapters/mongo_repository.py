"""Uploads and the row outcome ledger in MongoDB (or FerretDB)."""

from collections.abc import AsyncIterator, Mapping
from datetime import datetime
from typing import Any

from listflow.ingest.domain.upload import Lease, Tally, UploadChange, UploadStatus
from listflow.kit.mongo import Document, duplicate_key_indexes
from pymongo import ASCENDING, DESCENDING, InsertOne, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError

LEDGER_BATCH = 500


class MongoUploadRepository:
    """Uploads, with their running tallies, and the row outcome ledger.

    The running tally is the upload's own `tally` field, `$inc`ed by both of its writers
    (the importer, for the rows it rejects itself, and the outcomes consumer, for the
    services that own the rows). FerretDB 2 applies each update atomically, so those `$inc`s
    and the `$set`s of the start, the progress and a cancel never undo one another
    (tests/integration/test_store_guarantees.py). On FerretDB 1.24 they did, which is why the
    tally used to live in two documents of its own (docs/architecture.md, issue 17).
    """

    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self._uploads = database["uploads"]
        self._ledger = database["row_outcomes"]

    async def ensure_indexes(self) -> None:
        await self._uploads.create_index([("tenant_id", ASCENDING), ("_id", DESCENDING)])
        await self._uploads.create_index([("status", ASCENDING)])
        await self._ledger.create_index(
            [("upload_id", ASCENDING), ("status", ASCENDING), ("row_number", ASCENDING)]
        )
        await self._ledger.create_index([("upload_id", ASCENDING), ("row_number", ASCENDING)])

    async def insert(self, doc: Document) -> None:
        await self._uploads.insert_one({"tally": {}, **doc})

    async def get(self, tenant_id: str, upload_id: str) -> Document | None:
        return await self._uploads.find_one({"_id": upload_id, "tenant_id": tenant_id})

    async def get_any(self, upload_id: str) -> Document | None:
        """For Kafka consumers: the event names the tenant, the upload id is the key."""
        return await self._uploads.find_one({"_id": upload_id})

    async def apply(self, upload_id: str, change: UploadChange) -> Document | None:
        """One atomic update, conditional on the status when the change names any: exactly
        one of two racing changes from one status wins."""
        query: dict[str, Any] = {"_id": upload_id}
        if change.from_status:
            query["status"] = {"$in": sorted(s.value for s in change.from_status)}
        return await self._uploads.find_one_and_update(
            query, {"$set": dict(change.fields)}, return_document=ReturnDocument.AFTER
        )

    async def history(
        self,
        tenant_id: str,
        *,
        limit: int,
        cursor: str | None,
        status: str | None,
        target: str | None,
        created_from: datetime | None,
        created_to: datetime | None,
    ) -> tuple[list[Document], str | None]:
        query: dict[str, Any] = {"tenant_id": tenant_id}
        if cursor:
            query["_id"] = {"$lt": cursor}
        if status:
            query["status"] = status
        if target:
            query["$or"] = [{"target.name": target}, {"target.id": target}]
        if created_from or created_to:
            window: dict[str, datetime] = {}
            if created_from:
                window["$gte"] = created_from
            if created_to:
                window["$lt"] = created_to
            query["created_at"] = window
        docs = await self._uploads.find(query).sort("_id", DESCENDING).limit(limit + 1).to_list()
        return docs[:limit], (docs[limit - 1]["_id"] if len(docs) > limit else None)

    async def unfinished(self) -> list[Document]:
        """Uploads still importing, or completed but not yet announced."""
        return await self._uploads.find(
            {
                "$or": [
                    {"status": UploadStatus.IMPORTING.value},
                    {"status": UploadStatus.COMPLETED.value, "announced": False},
                ]
            }
        ).to_list()

    async def claim(self, upload_id: str, lease: Lease, now: datetime) -> Document | None:
        """Take the lease on reading an upload's file; only one ingest process reads it.
        The filter is `Lease.lets` (none held, run out, or the owner's own) in one query."""
        return await self._uploads.find_one_and_update(
            {
                "_id": upload_id,
                "status": UploadStatus.IMPORTING.value,
                "total_rows": None,
                "$or": [
                    {"lease_until": None},
                    {"lease_until": {"$lt": now}},
                    {"lease_owner": lease.owner},
                ],
            },
            {"$set": {"lease_owner": lease.owner, "lease_until": lease.until}},
            return_document=ReturnDocument.AFTER,
        )

    # --- the ledger: one document per (upload, row) -------------------------------------

    async def record(self, upload_id: str, outcomes: list[Document]) -> Tally:
        """Store outcomes once per row; returns what was new, so a replay counts nothing twice."""
        if not outcomes:
            return Tally()
        ops = [
            InsertOne({"_id": f"{upload_id}:{o['row_number']}", "upload_id": upload_id, **o})
            for o in outcomes
        ]
        skipped: set[int] = set()
        try:
            await self._ledger.bulk_write(ops, ordered=False)
        except BulkWriteError as error:
            skipped = duplicate_key_indexes(error)
        new: dict[str, int] = {}
        for index, outcome in enumerate(outcomes):
            if index not in skipped:
                new[outcome["status"]] = new.get(outcome["status"], 0) + 1
        if new:
            # A completed upload keeps the final tally its completion wrote.
            await self._uploads.update_one(
                {"_id": upload_id, "status": {"$ne": UploadStatus.COMPLETED.value}},
                {"$inc": {f"tally.{k}": v for k, v in new.items()}},
            )
        return Tally(new)

    async def set_tally(self, upload_id: str, by_status: Mapping[str, int]) -> None:
        """Replace a running tally (with a recount of the ledger)."""
        await self._uploads.update_one({"_id": upload_id}, {"$set": {"tally": dict(by_status)}})

    async def recount(self, upload_id: str) -> Tally:
        """Authoritative counts from the ledger (the running tally can lag after a crash)."""
        pipeline: list[dict[str, Any]] = [
            {"$match": {"upload_id": upload_id}},
            {"$group": {"_id": "$status", "n": {"$sum": 1}}},
        ]
        rows = await (await self._ledger.aggregate(pipeline)).to_list()
        return Tally({row["_id"]: row["n"] for row in rows})

    async def errors(self, upload_id: str) -> AsyncIterator[Document]:
        # Bounded batches: FerretDB does not cap a reply at 16 MiB as MongoDB does, and a
        # reply over the 48 MB wire-protocol limit fails the read.
        cursor = (
            self._ledger.find({"upload_id": upload_id, "status": {"$in": ["invalid", "failed"]}})
            .sort("row_number", ASCENDING)
            .batch_size(LEDGER_BATCH)
        )
        async for doc in cursor:
            yield doc

    async def outcomes(self, upload_id: str) -> AsyncIterator[Document]:
        """Every outcome of an upload in row order (the export joins them with the file)."""
        cursor = (
            self._ledger.find(
                {"upload_id": upload_id},
                {"row_number": 1, "status": 1, "record_id": 1, "reason": 1},
            )
            .sort("row_number", ASCENDING)
            .batch_size(LEDGER_BATCH)
        )
        async for doc in cursor:
            yield doc
