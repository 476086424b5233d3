"""Recovery after crashes, run every few seconds by each ingest process: imports whose
runner died are resumed, completions are checked again, stalled tallies are recounted."""

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

from listflow.ingest.domain.upload import Tally, UploadStatus
from listflow.ingest.handlers.imports import Imports
from listflow.ingest.handlers.outcomes import Outcomes
from listflow.ingest.ports import UploadStore
from listflow.kit.clock import Clock
from listflow.kit.logging import get_logger

_log = get_logger(__name__)

TALLY_STALL_SECONDS = 15.0


@dataclass
class Reconciler:
    repository: UploadStore
    imports: Imports
    outcomes: Outcomes
    clock: Clock
    # upload id -> (rows counted by the running tally, when that count was first seen)
    _tally_seen: dict[str, tuple[int, float]] = field(default_factory=dict)

    async def reconcile(self) -> None:
        """Recover after crashes: resume imports whose runner died, finish what is complete."""
        unfinished = await self.repository.unfinished()
        for doc in unfinished:
            if doc["status"] == UploadStatus.IMPORTING.value and doc.get("total_rows") is None:
                lease = doc.get("lease_until")
                if (lease is None or lease < self.clock()) and not self.imports.running(doc["_id"]):
                    _log.info("resuming import", upload_id=doc["_id"])
                    self.imports.launch(doc["_id"])
            else:
                await self._repair_stalled_tally(doc)
                await self.outcomes.check_completion(doc["_id"])
        for upload_id in self._tally_seen.keys() - {doc["_id"] for doc in unfinished}:
            del self._tally_seen[upload_id]

    async def _repair_stalled_tally(self, doc: dict[str, Any]) -> None:
        """Recount a parsed import whose running tally has stood short of its total a while.

        FerretDB applies an update as read-modify-write of the document, so an outcome's
        `$inc` racing the importer's `$set` on the same upload can be lost, and the import
        would never complete. The ledger is authoritative; recounting only a tally that has
        stopped moving keeps that aggregate off the path of a running import.
        """
        upload_id: str = doc["_id"]
        if doc["status"] != UploadStatus.IMPORTING.value or doc.get("total_rows") is None:
            return
        processed = Tally(doc.get("tally", {})).processed
        if processed >= doc["total_rows"]:
            return
        now = time.monotonic()
        seen = self._tally_seen.get(upload_id)
        if seen is None or seen[0] != processed:
            self._tally_seen[upload_id] = (processed, now)
            return
        if now - seen[1] < TALLY_STALL_SECONDS:
            return
        tally = await self.repository.recount(upload_id)
        self._tally_seen[upload_id] = (tally.processed, now)
        if tally.processed != processed:
            _log.warning(
                "running tally repaired from the ledger",
                upload_id=upload_id,
                tally=processed,
                ledger=tally.processed,
            )
            await self.repository.set_tally(upload_id, tally.by_status)

    async def forever(self, every: float = 5.0) -> None:
        while True:
            try:
                await self.reconcile()
            except Exception:
                _log.exception("reconcile failed")
            await asyncio.sleep(every)
