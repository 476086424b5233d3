"""Starting an import, running it in the background under a lease (one ingest process reads
an upload's file), and cancelling it."""

import asyncio
import contextlib
import os
import secrets
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from listflow.ingest.domain.batches import DuplicateSorter, HopelessFile, HopelessStart
from listflow.ingest.domain.file_rows import FileRejected
from listflow.ingest.domain.lead_rows import LeadListInfo
from listflow.ingest.domain.upload import Lease, Upload, UploadOptions, UploadStatus
from listflow.ingest.handlers.files import UploadFiles
from listflow.ingest.handlers.outcomes import Outcomes
from listflow.ingest.handlers.planning import ImportPlan, Planner, check_target, tenant_upload
from listflow.ingest.handlers.saved_mappings import SavedMappingOptions
from listflow.ingest.ports import IngestEventSink, LeadLists, UploadStore
from listflow.kit.clock import Clock
from listflow.kit.errors import Conflict, Invalid, Refused
from listflow.kit.logging import get_logger
from listflow.kit.timing import StepTimer
from listflow.schemas.values import InFileDuplicates, TargetKind

_log = get_logger(__name__)


@dataclass
class Imports:
    repository: UploadStore
    events: IngestEventSink
    files: UploadFiles
    planner: Planner
    saved_mappings: SavedMappingOptions
    outcomes: Outcomes
    clock: Clock
    lead_lists: LeadLists | None = None
    instance_id: str = field(default_factory=lambda: f"{os.getpid()}-{secrets.token_hex(4)}")
    _tasks: dict[str, asyncio.Task[None]] = field(default_factory=dict)

    async def start(
        self,
        *,
        tenant_id: str,
        upload_id: str,
        options: UploadOptions | None,
        api_key: str | None = None,
    ) -> dict[str, Any]:
        """Start importing the tenant's upload with these options (over those it was sent
        with, its saved mapping applied); the rows are read in the background."""
        upload = await tenant_upload(self.repository, tenant_id, upload_id)
        options = await self.saved_mappings.resolve(upload, options)
        merged = upload.options.merged_with(options)
        if merged.target is None:
            raise Invalid("Missing target", "Starting an import needs a target group.")
        check_target(merged)
        lead_list = await self._resolve_lead_list(merged, api_key)
        if lead_list is not None:
            upload = replace(upload, lead_list=lead_list)
        plan = self.planner.plan(upload, merged)
        change = upload.start(
            options=merged,
            target=plan.target,
            match=plan.match,
            mapping=plan.mapping,
            date_orders=[o.document() for o in plan.date_orders.values()],
            now=self.clock(),
        )
        started = await self.repository.apply(upload_id, change)
        if started is None:
            raise Conflict("Already started", f"Upload {upload_id} was started meanwhile.")
        for event in upload.events:
            await self.events.upload_event(upload_id, event, event_id=f"{upload_id}:started")
        self.launch(upload_id)
        return started

    async def _resolve_lead_list(
        self, options: UploadOptions, api_key: str | None
    ) -> LeadListInfo | None:
        """A lead-list target, found (or created by name) over the leads API."""
        target = options.target
        if target is None or target.kind is not TargetKind.LEAD_LIST:
            return None
        if self.lead_lists is None:
            raise Invalid("Unsupported target", "Lead list targets are not configured.")
        return await self.lead_lists.resolve(api_key, list_id=target.id, name=target.name)

    async def cancel(self, *, tenant_id: str, upload_id: str) -> dict[str, Any]:
        upload = await tenant_upload(self.repository, tenant_id, upload_id)
        updated = await self.repository.apply(upload_id, upload.cancel(self.clock()))
        if updated is None:
            # Finished between our read and our write.
            raise Conflict("Cannot cancel", f"Upload {upload_id} finished meanwhile.")
        for event in upload.events:
            await self.events.upload_event(upload_id, event, event_id=f"{upload_id}:cancelled")
        return updated

    # --- the background runner ------------------------------------------------------------

    def launch(self, upload_id: str) -> None:
        if self.running(upload_id):
            return
        task = asyncio.create_task(self._run_import(upload_id), name=f"import-{upload_id}")
        self._tasks[upload_id] = task
        task.add_done_callback(lambda _: self._tasks.pop(upload_id, None))

    def running(self, upload_id: str) -> bool:
        """Whether this process is reading the upload's file now."""
        return upload_id in self._tasks and not self._tasks[upload_id].done()

    async def stop_all(self) -> None:
        for task in list(self._tasks.values()):
            task.cancel()
        await asyncio.gather(*self._tasks.values(), return_exceptions=True)
        self.files.checks.close()

    def _lease(self) -> Lease:
        return Lease.taken(self.instance_id, self.clock())

    async def _run_import(self, upload_id: str) -> None:
        doc = await self.repository.claim(upload_id, self._lease(), self.clock())
        if doc is None:
            return
        upload = Upload.from_document(doc)
        work = self.files.spool_dir / f"import-{upload_id}"
        try:
            await self.files.files.fetch(upload_id, work)
            plan = self.planner.plan(upload, upload.options)
            await self._import_file(upload, plan, work)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if isinstance(exc, HopelessFile):
                _log.warning("import stopped: hopeless file", upload_id=upload_id)
            else:
                _log.exception("import failed", upload_id=upload_id)
            await self.repository.apply(upload_id, upload.fail(_failure_text(exc)))
        finally:
            work.unlink(missing_ok=True)
        await self.outcomes.check_completion(upload_id)
        _log.info("import parsed", upload_id=upload_id, tenant_id=upload.tenant_id)

    async def _import_file(self, upload: Upload, plan: ImportPlan, path: Path) -> None:
        upload_id, tenant_id = upload.id, upload.tenant_id
        sniffed = upload.layout
        assert sniffed is not None, "an upload's layout is detected when it is accepted"
        spec = self.planner.check_spec(upload, plan)
        sorter = DuplicateSorter(tenant_id=tenant_id, key=plan.key)
        hopeless = None if plan.options.insist else HopelessStart()
        if plan.match.in_file_duplicates is InFileDuplicates.LAST_WINS:
            sorter.last_rows = await self.files.last_rows(spec, path, sniffed)
        # Validation and publishing overlap: the checkers work ahead of this task.
        rows_read = 0
        published = 0
        checked_batches = self.files.checked(spec, path, sniffed)
        async with contextlib.aclosing(checked_batches):
            timer = StepTimer()
            async for checked in checked_batches:
                timer.lap("check")
                rows_read += checked.size
                sorted_batch = sorter.sort(checked)
                if hopeless is not None and (reason := hopeless.verdict(checked)) is not None:
                    # The first rows' errors stay in the report; nothing was published.
                    await self.repository.record(upload_id, sorted_batch.outcomes)
                    await self.repository.apply(upload_id, upload.read_progress(rows_read))
                    raise HopelessFile(hopeless.failure(reason))
                current = await self.repository.get_any(upload_id)
                status = Upload.from_document(current).status if current else None
                if status is not UploadStatus.IMPORTING:
                    _log.info("import stopped", upload_id=upload_id, status=status)
                    return
                if sorted_batch.rows and plan.lead_list is not None:
                    await self.events.lead_rows(tenant_id, upload_id, sorted_batch.rows)
                elif sorted_batch.rows:
                    await self.events.contact_rows(tenant_id, upload_id, sorted_batch.rows)
                published += len(sorted_batch.rows)
                timer.lap("publish")
                await self.repository.record(upload_id, sorted_batch.outcomes)
                await self.repository.apply(
                    upload_id, upload.read_progress(rows_read, self._lease())
                )
                timer.lap("record")
                _log.info("batch imported", upload_id=upload_id, rows=checked.size, **timer.laps)
                timer = StepTimer()
        read = upload.file_read(
            rows=rows_read,
            published=published,
            invalid=sorter.invalid,
            duplicates=sorter.duplicates,
            now=self.clock(),
        )
        await self.repository.apply(upload_id, read)
        for event in upload.events:
            await self.events.upload_event(upload_id, event, event_id=f"{upload_id}:parsed")


def _failure_text(exc: Exception) -> str:
    if isinstance(exc, FileRejected | Refused):
        return str(exc)
    return "the import stopped on an internal error; it can be retried"
