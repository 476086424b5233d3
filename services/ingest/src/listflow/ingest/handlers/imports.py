"""Starting an import, running it in the background under a lease (one ingest process reads
an upload's file), and cancelling it."""

import asyncio
import contextlib
import os
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from listflow.ingest.domain.batches import DuplicateSorter, HopelessFile, HopelessStart
from listflow.ingest.domain.file_rows import FileRejected, sniffed_of
from listflow.ingest.domain.lead_rows import LeadListInfo
from listflow.ingest.domain.upload import CANCELLABLE, Upload, UploadOptions, UploadStatus
from listflow.ingest.handlers.files import UploadFiles
from listflow.ingest.handlers.outcomes import Outcomes
from listflow.ingest.handlers.planning import ImportPlan, Planner, check_target
from listflow.ingest.handlers.saved_mappings import SavedMappingOptions
from listflow.ingest.ports import IngestEventSink, LeadLists, UploadStore
from listflow.kit.clock import Clock
from listflow.kit.errors import Conflict, Invalid, NotFound, Refused
from listflow.kit.logging import get_logger
from listflow.kit.timing import StepTimer
from listflow.schemas.events import UploadParsed, UploadStarted
from listflow.schemas.values import InFileDuplicates, TargetKind

_log = get_logger(__name__)

LEASE = timedelta(seconds=30)


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
        doc = await self.repository.get(tenant_id, upload_id)
        if doc is None:
            raise NotFound("Not Found", f"No upload {upload_id} in this tenant.")
        options = await self.saved_mappings.resolve(tenant_id, doc, options)
        merged = UploadOptions.model_validate(doc["options"]).merged_with(options)
        if merged.target is None:
            raise Invalid("Missing target", "Starting an import needs a target group.")
        check_target(merged)
        lead_list = await self._resolve_lead_list(merged, api_key)
        if lead_list is not None:
            doc = {**doc, "lead_list": lead_list.document()}
        plan = self.planner.plan(doc, merged)
        now = self.clock()
        started = await self.repository.transition(
            upload_id,
            [UploadStatus.UPLOADED],
            {
                "status": UploadStatus.IMPORTING.value,
                "options": merged.model_dump(mode="json", exclude_unset=True),
                "target": plan.target.model_dump(mode="json"),
                "match": plan.match.model_dump(mode="json"),
                "mapping": {str(k): v for k, v in plan.mapping.items()},
                "date_orders": [o.document() for o in plan.date_orders.values()],
                "started_at": now,
                **({"lead_list": doc["lead_list"]} if "lead_list" in doc else {}),
            },
        )
        if started is None:
            raise Conflict("Already started", f"Upload {upload_id} is {doc['status']}.")
        await self.events.upload_event(
            upload_id,
            UploadStarted(
                tenant_id=tenant_id,
                upload_id=upload_id,
                target=plan.target,
                match=plan.match,
                started_at=now,
            ),
            event_id=f"{upload_id}:started",
        )
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
        doc = await self.repository.get(tenant_id, upload_id)
        if doc is None:
            raise NotFound("Not Found", f"No upload {upload_id} in this tenant.")
        upload = Upload.from_document(doc)
        fields = upload.cancel(self.clock())
        updated = await self.repository.transition(upload_id, CANCELLABLE, fields)
        if updated is None:
            # Finished between our read and our write.
            raise Conflict("Cannot cancel", f"Upload {upload_id} is already {doc['status']}.")
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

    async def _claim(self, upload_id: str) -> dict[str, Any] | None:
        now = self.clock()
        return await self.repository.claim(upload_id, self.instance_id, now, now + LEASE)

    async def _run_import(self, upload_id: str) -> None:
        doc = await self._claim(upload_id)
        if doc is None:
            return
        tenant_id = doc["tenant_id"]
        work = self.files.spool_dir / f"import-{upload_id}"
        try:
            await self.files.files.fetch(upload_id, work)
            options = UploadOptions.model_validate(doc["options"])
            plan = self.planner.plan(doc, options)
            await self._import_file(doc, plan, work)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if isinstance(exc, HopelessFile):
                _log.warning("import stopped: hopeless file", upload_id=upload_id)
            else:
                _log.exception("import failed", upload_id=upload_id)
            await self.repository.transition(
                upload_id,
                [UploadStatus.IMPORTING],
                {"status": UploadStatus.FAILED.value, "failure": _failure_text(exc)},
            )
        finally:
            work.unlink(missing_ok=True)
        await self.outcomes.check_completion(upload_id)
        _log.info("import parsed", upload_id=upload_id, tenant_id=tenant_id)

    async def _import_file(self, doc: dict[str, Any], plan: ImportPlan, path: Path) -> None:
        upload_id: str = doc["_id"]
        tenant_id: str = doc["tenant_id"]
        sniffed = sniffed_of(doc)
        spec = self.planner.check_spec(doc, plan)
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
                    await self.repository.update(upload_id, {"rows_read": rows_read})
                    raise HopelessFile(hopeless.failure(reason))
                current = await self.repository.get_any(upload_id)
                if current is None or current["status"] != UploadStatus.IMPORTING.value:
                    _log.info(
                        "import stopped", upload_id=upload_id, status=current and current["status"]
                    )
                    return
                if sorted_batch.rows and plan.lead_list is not None:
                    await self.events.lead_rows(tenant_id, upload_id, sorted_batch.rows)
                elif sorted_batch.rows:
                    await self.events.contact_rows(tenant_id, upload_id, sorted_batch.rows)
                published += len(sorted_batch.rows)
                timer.lap("publish")
                await self.repository.record(upload_id, sorted_batch.outcomes)
                now = self.clock()
                await self.repository.update(
                    upload_id,
                    {
                        "rows_read": rows_read,
                        "lease_until": now + LEASE,
                        "lease_owner": self.instance_id,
                    },
                )
                timer.lap("record")
                _log.info("batch imported", upload_id=upload_id, rows=checked.size, **timer.laps)
                timer = StepTimer()
        now = self.clock()
        await self.repository.update(
            upload_id, {"rows_read": rows_read, "total_rows": rows_read, "parsed_at": now}
        )
        await self.events.upload_event(
            upload_id,
            UploadParsed(
                tenant_id=tenant_id,
                upload_id=upload_id,
                total_rows=rows_read,
                published_rows=published,
                invalid_rows=sorter.invalid,
                duplicate_rows=sorter.duplicates,
                parsed_at=now,
            ),
            event_id=f"{upload_id}:parsed",
        )


def _failure_text(exc: Exception) -> str:
    if isinstance(exc, FileRejected | Refused):
        return str(exc)
    return "the import stopped on an internal error; it can be retried"
