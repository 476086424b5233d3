"""An in-memory upload store for unit tests, held to the same contract as the Mongo one
(tests/integration/test_upload_repository_contract.py)."""

import copy
from collections import Counter
from collections.abc import AsyncIterator, Mapping
from datetime import datetime
from typing import Any

from listflow.ingest.domain.upload import Lease, Tally, UploadChange, UploadStatus
from listflow.ingest.ports import UploadDoc

_PROBLEMS = ("invalid", "failed")


class InMemoryUploadRepository:
    """Uploads (with their running tallies) and the outcome ledger, in dicts."""

    def __init__(self) -> None:
        self._uploads: dict[str, UploadDoc] = {}
        self._ledger: dict[str, dict[int, dict[str, Any]]] = {}

    def _copy(self, doc: UploadDoc | None) -> UploadDoc | None:
        if doc is None:
            return None
        return copy.deepcopy(doc)

    async def ensure_indexes(self) -> None:
        return None

    async def insert(self, doc: UploadDoc) -> None:
        if doc["_id"] in self._uploads:
            raise ValueError(f"upload {doc['_id']} exists")
        self._uploads[doc["_id"]] = copy.deepcopy({"tally": {}, **doc})

    async def get(self, tenant_id: str, upload_id: str) -> UploadDoc | None:
        doc = self._uploads.get(upload_id)
        return self._copy(doc) if doc and doc["tenant_id"] == tenant_id else None

    async def get_any(self, upload_id: str) -> UploadDoc | None:
        return self._copy(self._uploads.get(upload_id))

    async def apply(self, upload_id: str, change: UploadChange) -> UploadDoc | None:
        doc = self._uploads.get(upload_id)
        if doc is None:
            return None
        if change.from_status and doc.get("status") not in {s.value for s in change.from_status}:
            return None
        doc.update(copy.deepcopy(dict(change.fields)))
        return self._copy(doc)

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
    ) -> tuple[list[UploadDoc], str | None]:
        def wanted(doc: UploadDoc) -> bool:
            named = doc.get("target") or {}
            return (
                doc["tenant_id"] == tenant_id
                and (not cursor or doc["_id"] < cursor)
                and (not status or doc.get("status") == status)
                and (not target or target in (named.get("name"), named.get("id")))
                and (not created_from or doc["created_at"] >= created_from)
                and (not created_to or doc["created_at"] < created_to)
            )

        docs = sorted(
            (d for d in self._uploads.values() if wanted(d)), key=lambda d: d["_id"], reverse=True
        )
        page = [d for d in (self._copy(doc) for doc in docs[:limit]) if d is not None]
        return page, (docs[limit - 1]["_id"] if len(docs) > limit else None)

    async def unfinished(self) -> list[UploadDoc]:
        return [
            d
            for d in (self._copy(doc) for doc in self._uploads.values())
            if d is not None
            and (
                d.get("status") == UploadStatus.IMPORTING.value
                or (d.get("status") == UploadStatus.COMPLETED.value and d.get("announced") is False)
            )
        ]

    async def claim(self, upload_id: str, lease: Lease, now: datetime) -> UploadDoc | None:
        doc = self._uploads.get(upload_id)
        if (
            doc is None
            or doc.get("status") != UploadStatus.IMPORTING.value
            or doc.get("total_rows") is not None
        ):
            return None
        held = doc.get("lease_until")
        if held is not None and not Lease(doc.get("lease_owner") or "", held).lets(
            lease.owner, now
        ):
            return None
        doc.update(lease_owner=lease.owner, lease_until=lease.until)
        return copy.deepcopy(doc)

    async def record(self, upload_id: str, outcomes: list[dict[str, Any]]) -> Tally:
        rows = self._ledger.setdefault(upload_id, {})
        new: Counter[str] = Counter()
        for outcome in outcomes:
            if outcome["row_number"] not in rows:
                rows[outcome["row_number"]] = {"upload_id": upload_id, **copy.deepcopy(outcome)}
                new[outcome["status"]] += 1
        doc = self._uploads.get(upload_id)
        if new and doc is not None and doc.get("status") != UploadStatus.COMPLETED.value:
            doc["tally"] = dict(Counter(doc.get("tally", {})) + new)
        return Tally(dict(new))

    async def set_tally(self, upload_id: str, by_status: Mapping[str, int]) -> None:
        if upload_id in self._uploads:
            self._uploads[upload_id]["tally"] = dict(by_status)

    async def recount(self, upload_id: str) -> Tally:
        counts = Counter(o["status"] for o in self._ledger.get(upload_id, {}).values())
        return Tally(dict(counts))

    async def errors(self, upload_id: str) -> AsyncIterator[dict[str, Any]]:
        for number in sorted(self._ledger.get(upload_id, {})):
            outcome = self._ledger[upload_id][number]
            if outcome["status"] in _PROBLEMS:
                yield copy.deepcopy(outcome)

    async def outcomes(self, upload_id: str) -> AsyncIterator[dict[str, Any]]:
        fields = ("row_number", "status", "record_id", "reason")
        for number in sorted(self._ledger.get(upload_id, {})):
            outcome = self._ledger[upload_id][number]
            yield {k: outcome[k] for k in fields if k in outcome}
