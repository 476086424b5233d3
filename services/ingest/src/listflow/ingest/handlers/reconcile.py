"""Recovery after crashes, run every few seconds by each ingest process: imports whose
runner died are resumed, completions are checked again, stalled tallies are recounted."""

import asyncio
import time
from dataclasses import dataclass, field

from listflow.ingest.domain.upload import Upload, UploadStatus
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
        unfinished = [Upload.from_document(doc) for doc in await self.repository.unfinished()]
        for upload in unfinished:
            if upload.reading():
                if upload.left_unread(self.clock()) and not self.imports.running(upload.id):
                    _log.info("resuming import", upload_id=upload.id)
                    self.imports.launch(upload.id)
            else:
                await self._repair_stalled_tally(upload)
                await self.outcomes.check_completion(upload.id)
        for upload_id in self._tally_seen.keys() - {upload.id for upload in unfinished}:
            del self._tally_seen[upload_id]

    async def _repair_stalled_tally(self, upload: Upload) -> None:
        """Recount a parsed import whose running tally has stood short of its total a while.

        FerretDB applies an update as read-modify-write of the document, so an outcome's
        `$inc` racing the importer's `$set` on the same upload can be lost, and the import
        would never complete. The ledger is authoritative; recounting only a tally that has
        stopped moving keeps that aggregate off the path of a running import.
        """
        upload_id = upload.id
        if upload.status is not UploadStatus.IMPORTING or upload.total_rows is None:
            return
        processed = upload.tally.processed
        if processed >= upload.total_rows:
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
