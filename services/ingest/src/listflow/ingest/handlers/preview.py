"""Preview of an upload: the whole file validated and matched against stored contacts, with
nothing written anywhere but the preview's own progress document.

A preview runs as a job (like an import, in the ingest process that was asked): the request
answers 202 at once and `GET /v1/uploads/{id}/preview` shows its progress and, at the end,
its counts. A 500,000-row file therefore never holds an HTTP request open; match values go
to contacts MAX_VALUES (5,000) at a time with a bounded number of calls in flight.
"""

import asyncio
import contextlib
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from listflow.ingest.domain.batches import DuplicateSorter, HopelessFile, HopelessStart
from listflow.ingest.domain.file_rows import FileRejected
from listflow.ingest.domain.previews import EXAMPLES, PreviewTally
from listflow.ingest.domain.upload import TargetOption, Upload, UploadOptions
from listflow.ingest.handlers.files import UploadFiles
from listflow.ingest.handlers.planning import ImportPlan, Planner, tenant_upload
from listflow.ingest.handlers.saved_mappings import SavedMappingOptions
from listflow.ingest.ports import (
    MAX_VALUES,
    ContactMatches,
    ContactsUnavailable,
    PreviewRepository,
    UploadRepository,
)
from listflow.kit.clock import Clock
from listflow.kit.errors import Refused
from listflow.kit.logging import get_logger
from listflow.schemas.values import InFileDuplicates, RowStatus

_log = get_logger(__name__)

# A running preview not heard of for this long lost its process (a restart or a crash).
STALE = timedelta(seconds=60)


@dataclass
class Previews:
    """Start a preview job, and report one."""

    uploads: UploadRepository
    store: PreviewRepository
    contacts: ContactMatches
    files: UploadFiles
    planner: Planner
    saved_mappings: SavedMappingOptions
    clock: Clock
    concurrency: int = 2
    _tasks: dict[str, asyncio.Task[None]] = field(default_factory=dict)

    async def start(
        self,
        *,
        tenant_id: str,
        upload_id: str,
        options: UploadOptions | None,
        api_key: str,
    ) -> dict[str, Any]:
        upload = await tenant_upload(self.uploads, tenant_id, upload_id)
        options = await self.saved_mappings.resolve(upload, options)
        merged = upload.options.merged_with(options)
        if merged.target is None:
            # Nothing is written, so no target is needed; the plan only wants a name.
            merged = merged.model_copy(update={"target": TargetOption(name="preview")})
        plan = self.planner.plan(upload, merged)
        now = self.clock()
        run_id = secrets.token_hex(8)
        preview: dict[str, Any] = {
            "_id": upload_id,
            "tenant_id": tenant_id,
            "run_id": run_id,
            "status": "running",
            "match_key": plan.key.value,
            "date_orders": [o.document() for o in plan.date_orders.values()],
            "mapping": [
                {"column": plan.headers[i], "field": f} for i, f in sorted(plan.mapping.items())
            ],
            "row_estimate": upload.row_estimate,
            "started_at": now,
            "updated_at": now,
            "completed_at": None,
            "failure": None,
            **PreviewTally().as_fields(),
        }
        await self.store.replace(preview)
        previous = self._tasks.pop(upload_id, None)
        if previous is not None:
            previous.cancel()
        task = asyncio.create_task(
            self._run(upload, plan, run_id, api_key), name=f"preview-{upload_id}"
        )
        self._tasks[upload_id] = task
        task.add_done_callback(
            lambda t: self._tasks.pop(upload_id, None) if self._tasks.get(upload_id) is t else None
        )
        _log.info("preview started", upload_id=upload_id, tenant_id=tenant_id)
        return preview

    async def get(self, tenant_id: str, upload_id: str) -> dict[str, Any] | None:
        preview = await self.store.get(tenant_id, upload_id)
        if (
            preview is not None
            and preview["status"] == "running"
            and upload_id not in self._tasks
            and preview["updated_at"] < self.clock() - STALE
        ):
            preview = {
                **preview,
                "status": "failed",
                "failure": "the preview was interrupted; start it again",
            }
        return preview

    async def stop_all(self) -> None:
        for task in list(self._tasks.values()):
            task.cancel()
        await asyncio.gather(*self._tasks.values(), return_exceptions=True)
        await self.contacts.close()

    async def _run(self, upload: Upload, plan: ImportPlan, run_id: str, api_key: str) -> None:
        upload_id = upload.id
        work = self.files.spool_dir / f"preview-{upload_id}-{run_id}"
        tally = PreviewTally()
        try:
            await self.files.files.fetch(upload_id, work)
            await self._check(upload, plan, run_id, api_key, work, tally)
            await self.store.update(
                upload_id,
                run_id,
                {
                    **tally.as_fields(),
                    "status": "completed",
                    "updated_at": self.clock(),
                    "completed_at": self.clock(),
                },
            )
            _log.info("preview completed", upload_id=upload_id, rows=tally.rows)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if isinstance(exc, FileRejected | ContactsUnavailable | Refused):
                reason = str(exc)
            else:
                _log.exception("preview failed", upload_id=upload_id)
                reason = "the preview stopped on an internal error; start it again"
            await self.store.update(
                upload_id,
                run_id,
                {
                    **tally.as_fields(),
                    "status": "failed",
                    "failure": reason,
                    "updated_at": self.clock(),
                },
            )
        finally:
            work.unlink(missing_ok=True)

    async def _check(
        self,
        upload: Upload,
        plan: ImportPlan,
        run_id: str,
        api_key: str,
        path: Path,
        tally: PreviewTally,
    ) -> None:
        upload_id = upload.id
        sniffed = upload.layout
        assert sniffed is not None, "an upload's layout is detected when it is accepted"
        spec = self.planner.check_spec(upload, plan, events=False)
        sorter = DuplicateSorter(tenant_id=upload.tenant_id, key=plan.key)
        hopeless = None if plan.options.insist else HopelessStart()
        if plan.match.in_file_duplicates is InFileDuplicates.LAST_WINS:
            sorter.last_rows = await self.files.last_rows(spec, path, sniffed)
        semaphore = asyncio.Semaphore(self.concurrency)

        async def count(values: list[str]) -> None:
            async with semaphore:
                found = await self.contacts.match_counts(api_key, plan.key, values)
            tally.matches = tally.matches + found

        # A batch's match counts run while the next batches are read and checked; at most
        # `concurrency` calls are in flight, and every count is in before the tally is final.
        counting: set[asyncio.Task[None]] = set()
        try:
            checked_batches = self.files.checked(spec, path, sniffed)
            async with contextlib.aclosing(checked_batches):
                async for checked in checked_batches:
                    parsed = sorter.sort(checked)
                    if hopeless is not None and (reason := hopeless.verdict(checked)) is not None:
                        tally.rows += checked.size
                        tally.invalid = sorter.invalid
                        raise HopelessFile(hopeless.failure(reason))
                    tally.rows += checked.size
                    for outcome in parsed.outcomes:
                        if (
                            outcome["status"] == RowStatus.INVALID.value
                            and len(tally.examples) < EXAMPLES
                        ):
                            tally.examples.append(
                                {
                                    "row_number": outcome["row_number"],
                                    "column": outcome["column"],
                                    "value": outcome["value"],
                                    "reason": outcome["reason"],
                                }
                            )
                    values = [row.match_value for row in parsed.rows]
                    counting.update(
                        asyncio.create_task(count(values[i : i + MAX_VALUES]))
                        for i in range(0, len(values), MAX_VALUES)
                    )
                    while True:
                        # A call that failed stops the preview now, not after the whole file.
                        for task in [t for t in counting if t.done()]:
                            counting.discard(task)
                            task.result()
                        if len(counting) <= 2 * self.concurrency:
                            break
                        await asyncio.wait(counting, return_when=asyncio.FIRST_COMPLETED)
                    tally.invalid = sorter.invalid
                    tally.duplicates = sorter.duplicates
                    await self.store.update(
                        upload_id, run_id, {**tally.as_fields(), "updated_at": self.clock()}
                    )
            await asyncio.gather(*counting)
        finally:
            for task in counting:
                task.cancel()
