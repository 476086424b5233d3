"""The owning services' row outcomes: recorded once per row, and an upload completed (and
announced, once) when every row has one."""

from dataclasses import dataclass

from listflow.ingest.domain.upload import Upload, UploadStatus
from listflow.ingest.ports import IngestEventSink, UploadStore
from listflow.kit.clock import Clock
from listflow.kit.logging import get_logger
from listflow.schemas.events import ListReady, RowOutcomes

_log = get_logger(__name__)


@dataclass(frozen=True)
class Outcomes:
    repository: UploadStore
    events: IngestEventSink
    clock: Clock

    async def record(self, batch: RowOutcomes) -> None:
        """Store the owning service's outcomes; idempotent per (upload, row)."""
        await self.repository.record(
            batch.upload_id,
            [
                {
                    "tenant_id": batch.tenant_id,
                    "row_number": o.row_number,
                    "status": o.status.value,
                    "record_id": o.record_id,
                    "reason": o.reason,
                }
                for o in batch.outcomes
            ],
        )
        await self.check_completion(batch.upload_id)

    async def check_completion(self, upload_id: str) -> None:
        doc = await self.repository.get_any(upload_id)
        if doc is None:
            return
        upload = Upload.from_document(doc)
        if not upload.parsed:
            return
        if upload.status is UploadStatus.IMPORTING:
            tally = upload.tally
            if upload.counted_past_end():
                # The ledger decides. (Not on every completion: on FerretDB the recount reads
                # the whole ledger, ~3.5 s for a 100,000-row upload, and the running tally,
                # which adds only outcomes new to the ledger, is exact once it is complete.)
                tally = await self.repository.recount(upload_id)
            completion = upload.completion(tally, self.clock())
            if completion is None:
                return
            doc = await self.repository.apply(upload_id, completion)
            if doc is None:
                return
            upload = Upload.from_document(doc)
        if upload.needs_announcing():
            await self._announce(upload)

    async def _announce(self, upload: Upload) -> None:
        """Publish completion; event ids are fixed, so an announcement repeated after a crash
        is recognisable as the same fact."""
        upload.announce()
        for event in upload.events:
            if isinstance(event, ListReady):
                await self.events.list_ready(event)
            else:
                await self.events.upload_event(upload.id, event, event_id=f"{upload.id}:completed")
        await self.repository.apply(upload.id, upload.announced_change())
        assert upload.total_rows is not None
        counts = upload.tally.counts(upload.total_rows)
        _log.info("upload completed", upload_id=upload.id, **counts.model_dump())
