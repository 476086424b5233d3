"""Use cases of the ingest service: accept a file, import it, track outcomes, complete."""

import asyncio
import contextlib
import os
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from listflow.ingest.adapters.checker_pool import CheckerPool
from listflow.ingest.adapters.file_store import FileStore
from listflow.ingest.adapters.leads_client import LeadListClient
from listflow.ingest.adapters.reader import (
    FileRejected,
    ReadLimits,
    Sniffed,
    iter_row_batches,
    scan_dates,
    sniff,
)
from listflow.ingest.domain.batches import (
    CheckSpec,
    DuplicateSorter,
    HopelessStart,
    LeadSpec,
)
from listflow.ingest.domain.date_orders import ColumnDateOrder, evidence_of, orders_for
from listflow.ingest.domain.fields import (
    EXTRA,
    IGNORE,
    MappingError,
    guess_field,
    resolve_mapping,
    suggest_mapping,
)
from listflow.ingest.domain.file_rows import sniffed_of
from listflow.ingest.domain.lead_rows import (
    LeadConverter,
    LeadListInfo,
    lead_explicit_mapping,
    narrow_mapping,
)
from listflow.ingest.domain.reports import masked_cells, national_id_columns
from listflow.ingest.domain.rows import RowOptions
from listflow.ingest.domain.templates import TEMPLATES, Template
from listflow.ingest.domain.upload import (
    CANCELLABLE,
    Tally,
    Upload,
    UploadOptions,
    UploadStatus,
)
from listflow.ingest.ports import IngestEventSink, UploadStore
from listflow.kit.errors import Conflict, Invalid, NotFound, Refused, TooLarge
from listflow.kit.logging import get_logger
from listflow.kit.pii import Protector
from listflow.kit.timing import StepTimer
from listflow.schemas.events import (
    ListReady,
    RowOutcome,
    RowOutcomes,
    UploadAccepted,
    UploadParsed,
    UploadStarted,
)
from listflow.schemas.leads import DuplicatePolicy
from listflow.schemas.matching import MATCH_KEY_FIELDS, default_match_key
from listflow.schemas.normalize import DateOrder
from listflow.schemas.values import (
    Consents,
    InFileDuplicates,
    MatchKey,
    MatchPolicy,
    RowStatus,
    TargetKind,
    TargetRef,
    list_id_for,
)

Clock = Callable[[], datetime]
_log = get_logger(__name__)

LEASE = timedelta(seconds=30)
TALLY_STALL_SECONDS = 15.0
# The row estimate (from the first 64 KiB) may be this far off before a file is refused on it.
ROW_ESTIMATE_MARGIN = 1.25


def new_upload_id(now: datetime) -> str:
    """Time-ordered ids: history sorts newest first by id alone."""
    return f"{int(now.timestamp() * 1000):012x}{secrets.token_hex(6)}"


@dataclass
class Ingest:
    """The ingest use cases, wired with their adapters."""

    repository: UploadStore
    files: FileStore
    events: IngestEventSink
    protector: Protector
    spool_dir: Path
    limits: ReadLimits
    batch_rows: int
    max_rows: int
    default_region: str
    checks: CheckerPool
    clock: Clock = field(default=lambda: datetime.now(UTC))
    lead_lists: LeadListClient | None = None
    instance_id: str = field(default_factory=lambda: f"{os.getpid()}-{secrets.token_hex(4)}")
    _tasks: dict[str, asyncio.Task[None]] = field(default_factory=dict)
    # upload id -> (rows counted by the running tally, when that count was first seen)
    _tally_seen: dict[str, tuple[int, float]] = field(default_factory=dict)

    # --- accept ------------------------------------------------------------------------

    async def accept(
        self,
        *,
        tenant_id: str,
        path: Path,
        file_name: str,
        options: UploadOptions,
        uploaded_by: str,
        api_key: str | None = None,
    ) -> dict[str, Any]:
        """Store a spooled file, detect its layout, and start it if the options say so."""
        size = (await asyncio.to_thread(path.stat)).st_size
        if size == 0:
            raise Invalid("Empty file", "The file has no content.")
        try:
            sniffed = await asyncio.to_thread(
                sniff,
                path,
                encoding=options.encoding,
                delimiter=options.delimiter,
                quote=options.quote,
                header=options.header,
                sheet=options.sheet,
                limits=self.limits,
            )
        except FileRejected as exc:
            raise Invalid("File rejected", str(exc)) from exc
        if options.target is not None:
            self._check_target(options)
        scan = await asyncio.to_thread(scan_dates, path, sniffed, limits=self.limits)
        date_columns = scan.date_columns(sniffed.headers)
        estimate = _row_estimate(path, size, sniffed)
        if estimate is not None and estimate > self.max_rows * ROW_ESTIMATE_MARGIN:
            # Refused now rather than after a long read; the exact limit holds while reading.
            raise TooLarge(
                "Too many rows",
                f"The file has about {estimate:,} rows; at most {self.max_rows:,} are allowed. "
                "Split it into smaller files.",
            )
        now = self.clock()
        upload_id = new_upload_id(now)
        await self.files.put(upload_id, path, file_name, {"tenant_id": tenant_id})
        suggestions = suggest_mapping(sniffed.headers)
        doc: dict[str, Any] = {
            "_id": upload_id,
            "tenant_id": tenant_id,
            "file_name": file_name,
            "size_bytes": size,
            "format": sniffed.format,
            "uploaded_by": uploaded_by,
            "created_at": now,
            "status": UploadStatus.UPLOADED.value,
            "detected": {
                "encoding": sniffed.dialect.encoding,
                "delimiter": sniffed.dialect.delimiter,
                "quote": sniffed.dialect.quote,
                "header": sniffed.dialect.header,
                "sheet": sniffed.sheet,
                "sheets": list(sniffed.sheets),
                "row_estimate": estimate,
                # Stored as counts, so that a region or option given at start re-decides.
                "date_columns": date_columns,
                "date_orders": [
                    o.document()
                    for o in orders_for(
                        {c["index"]: c["column"] for c in date_columns},
                        evidence_of(date_columns),
                        options.default_region or self.default_region,
                        options.date_order,
                    ).values()
                ],
            },
            "headers": sniffed.headers,
            "suggested_mapping": [
                {"column": s.column, "field": s.field, "confidence": s.confidence}
                for s in suggestions
            ],
            # FerretDB stores no nested arrays: each sample row is an object.
            "sample": [{"cells": row} for row in sniffed.sample_rows[:5]],
            "options": options.model_dump(mode="json", exclude_unset=True),
            "rows_read": 0,
            "total_rows": None,
        }
        # Stored masked too (answers mask again by the mapping in force, see public_sample).
        doc["sample"] = [{"cells": row} for row in public_sample(doc)]
        if options.should_start() and (
            options.target is not None and options.target.kind is TargetKind.GROUP
        ):
            # An import that cannot succeed (no column maps to a field, a required field has
            # no column) is refused before anything is stored. Lead lists are checked at
            # start, once the list's own fields are known.
            self._plan(doc, options)
        await self.repository.insert(doc)
        await self.events.upload_event(
            upload_id,
            UploadAccepted(
                tenant_id=tenant_id,
                upload_id=upload_id,
                file_name=file_name,
                size_bytes=size,
                file_format=sniffed.format,
                accepted_at=now,
            ),
        )
        _log.info("upload accepted", upload_id=upload_id, tenant_id=tenant_id, size_bytes=size)
        if options.should_start():
            return await self.start(
                tenant_id=tenant_id, upload_id=upload_id, options=None, api_key=api_key
            )
        return doc

    def _check_target(self, options: UploadOptions) -> None:
        assert options.target is not None
        if not options.target.name and not options.target.id:
            raise Invalid("Invalid target", "A target needs a name or an id.")

    # --- start -------------------------------------------------------------------------

    async def start(
        self,
        *,
        tenant_id: str,
        upload_id: str,
        options: UploadOptions | None,
        api_key: str | None = None,
    ) -> dict[str, Any]:
        doc = await self.repository.get(tenant_id, upload_id)
        if doc is None:
            raise NotFound("Not Found", f"No upload {upload_id} in this tenant.")
        merged = UploadOptions.model_validate(doc["options"]).merged_with(options)
        if merged.target is None:
            raise Invalid("Missing target", "Starting an import needs a target group.")
        self._check_target(merged)
        lead_list = await self._resolve_lead_list(merged, api_key)
        if lead_list is not None:
            doc = {**doc, "lead_list": lead_list.document()}
        plan = self._plan(doc, merged)
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

    def _plan(self, doc: dict[str, Any], options: UploadOptions) -> "ImportPlan":
        assert options.target is not None
        tenant_id = doc["tenant_id"]
        headers: list[str] = doc["headers"]
        template = TEMPLATES[options.template] if options.template else None
        explicit = dict(options.mapping or {})
        if template is not None:
            # The template's own headers map to its fields unless the operator says otherwise.
            explicit = {
                **{h: f for h, f in template.mapping.items() if h in headers},
                **explicit,
            }
        lead_list = LeadListInfo.from_document(doc["lead_list"]) if "lead_list" in doc else None
        renames: dict[str, str] = {}
        if lead_list is not None:
            explicit, renames = lead_explicit_mapping(headers, explicit, lead_list)
        try:
            mapping = resolve_mapping(headers, explicit or None)
        except MappingError as exc:
            raise Invalid("Invalid mapping", str(exc)) from exc
        if lead_list is not None:
            mapping = narrow_mapping(mapping)
        fields = set(mapping.values()) - {EXTRA, IGNORE}
        if not fields and not renames:
            raise Invalid(
                "No column maps to a field",
                "None of the file's columns maps to a contact field, so no row could import; "
                f"columns are: {_columns_text(headers)}. Map them with the `mapping` option "
                "(column header to field) or a saved mapping.",
            )
        required = template.required_fields if template is not None else ()
        if missing := [f for f in required if f not in fields]:
            assert template is not None
            columns = ", ".join(c.header for c in template.columns if c.field in missing)
            raise Invalid(
                "Missing columns",
                f"The {template.name} template needs these columns: {columns}.",
            )
        if template is not None:
            _check_rules_can_hold(template, headers, mapping)
        key = options.match.key
        preferred = template.match_key if template is not None else None
        if key is None and preferred is not None and fields & set(MATCH_KEY_FIELDS[preferred]):
            key = preferred
        key = key or default_match_key(fields)
        if lead_list is not None:
            key = MatchKey.PHONE  # leads are matched by any of their phones
        if not any(f in fields for f in MATCH_KEY_FIELDS[key]):
            raise Invalid(
                "No column for the match key",
                f"Rows are matched by {key.value}, but no column maps to it, so no row could "
                f"import; columns are: {_columns_text(headers)}. Map a column to it, or choose "
                "another key in `match.key`.",
            )
        match = options.match.model_copy(update={"key": key})
        name = options.target.name or options.target.id or ""
        target_id = options.target.id or list_id_for(tenant_id, options.target.kind, name)
        if lead_list is not None:
            name, target_id = lead_list.name, lead_list.id
        target = TargetRef(kind=options.target.kind, id=target_id, name=name)
        date_columns = {i: headers[i] for i, f in mapping.items() if f == "date_of_birth"}
        custom_dates: dict[int, str] = {}
        if lead_list is not None:
            dated = {f.name for f in lead_list.fields if f.type == "date"}
            for i, header in enumerate(headers):
                if mapping.get(i) == EXTRA and renames.get(header, header) in dated:
                    custom_dates[i] = renames.get(header, header)
        date_orders = orders_for(
            {**date_columns, **{i: headers[i] for i in custom_dates}},
            evidence_of(doc.get("detected", {}).get("date_columns", [])),
            options.default_region or self.default_region,
            options.date_order,
        )
        return ImportPlan(
            headers=headers,
            required=required,
            template=template,
            date_orders=date_orders,
            birth_order=next((date_orders[i].order for i in date_columns), None),
            custom_date_orders={name: date_orders[i].order for i, name in custom_dates.items()},
            mapping=mapping,
            match=match,
            key=key,
            target=target,
            options=options,
            lead_list=lead_list,
            renames=renames,
        )

    def launch(self, upload_id: str) -> None:
        if upload_id in self._tasks and not self._tasks[upload_id].done():
            return
        task = asyncio.create_task(self._run_import(upload_id), name=f"import-{upload_id}")
        self._tasks[upload_id] = task
        task.add_done_callback(lambda _: self._tasks.pop(upload_id, None))

    async def stop_all(self) -> None:
        for task in list(self._tasks.values()):
            task.cancel()
        await asyncio.gather(*self._tasks.values(), return_exceptions=True)
        self.checks.close()

    # --- import ------------------------------------------------------------------------

    async def _claim(self, upload_id: str) -> dict[str, Any] | None:
        now = self.clock()
        return await self.repository.claim(upload_id, self.instance_id, now, now + LEASE)

    async def _run_import(self, upload_id: str) -> None:
        doc = await self._claim(upload_id)
        if doc is None:
            return
        tenant_id = doc["tenant_id"]
        work = self.spool_dir / f"import-{upload_id}"
        try:
            await self.files.fetch(upload_id, work)
            options = UploadOptions.model_validate(doc["options"])
            plan = self._plan(doc, options)
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
        await self.check_completion(upload_id)
        _log.info("import parsed", upload_id=upload_id, tenant_id=tenant_id)

    async def _import_file(self, doc: dict[str, Any], plan: "ImportPlan", path: Path) -> None:
        upload_id: str = doc["_id"]
        tenant_id: str = doc["tenant_id"]
        sniffed = sniffed_of(doc)
        spec = self.check_spec(doc, plan)
        sorter = DuplicateSorter(tenant_id=tenant_id, key=plan.key)
        hopeless = None if plan.options.insist else HopelessStart()
        if plan.match.in_file_duplicates is InFileDuplicates.LAST_WINS:
            sorter.last_rows = await self.last_rows(spec, path, sniffed)
        batches = iter_row_batches(path, sniffed, batch_rows=self.batch_rows, limits=self.limits)
        # Batches are checked ahead, in worker processes, while this task publishes the
        # earliest one: validation and publishing overlap, and results keep file order.
        rows_read = 0
        published = 0
        checked_batches = self.checks.checked_ahead(spec, batches, self.max_rows)
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

    def check_spec(self, doc: dict[str, Any], plan: "ImportPlan") -> CheckSpec:
        """What the row checkers need to know of one run over an upload's file."""
        upload_id: str = doc["_id"]
        return CheckSpec(
            run_id=f"{upload_id}:{secrets.token_hex(4)}",
            upload_id=upload_id,
            tenant_id=doc["tenant_id"],
            headers=tuple(plan.headers),
            mapping=plan.mapping,
            row_options=RowOptions(
                default_region=plan.options.default_region or self.default_region,
                date_order=plan.options.date_order,
                date_orders={"date_of_birth": plan.birth_order} if plan.birth_order else {},
                required_fields=plan.required,
                template=plan.template.name if plan.template is not None else None,
                rules=plan.template.rules if plan.template is not None else (),
            ),
            key=plan.key,
            match=plan.match,
            target=plan.target,
            tags=tuple(plan.options.tags),
            consents=_consents(plan.options),
            create_missing_tags=plan.options.create_missing_tags,
            lead=_lead_spec(plan),
        )

    async def last_rows(self, spec: CheckSpec, path: Path, sniffed: Sniffed) -> dict[str, int]:
        """For `last_wins`: the last row number of every match value, from a first pass."""
        last: dict[str, int] = {}
        batches = iter_row_batches(path, sniffed, batch_rows=self.batch_rows, limits=self.limits)
        while (batch := await asyncio.to_thread(next, batches, None)) is not None:
            for row_number, value in await self.checks.keys(spec, batch):
                last[value] = row_number
        return last

    # --- outcomes and completion ---------------------------------------------------------

    async def record_outcomes(self, batch: RowOutcomes) -> None:
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
        if doc is None or doc.get("total_rows") is None:
            return
        upload = Upload.from_document(doc)
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
            doc = await self.repository.transition(upload_id, [UploadStatus.IMPORTING], completion)
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
        await self.repository.update(upload.id, {"announced": True})
        assert upload.total_rows is not None
        counts = upload.tally.counts(upload.total_rows)
        _log.info("upload completed", upload_id=upload.id, **counts.model_dump())

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

    async def reconcile(self) -> None:
        """Recover after crashes: resume imports whose runner died, finish what is complete."""
        unfinished = await self.repository.unfinished()
        for doc in unfinished:
            if doc["status"] == UploadStatus.IMPORTING.value and doc.get("total_rows") is None:
                lease = doc.get("lease_until")
                if (lease is None or lease < self.clock()) and doc["_id"] not in self._tasks:
                    _log.info("resuming import", upload_id=doc["_id"])
                    self.launch(doc["_id"])
            else:
                await self._repair_stalled_tally(doc)
                await self.check_completion(doc["_id"])
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

    async def reconcile_forever(self, every: float = 5.0) -> None:
        while True:
            try:
                await self.reconcile()
            except Exception:
                _log.exception("reconcile failed")
            await asyncio.sleep(every)


@dataclass(frozen=True)
class ImportPlan:
    headers: list[str]
    required: tuple[str, ...]
    mapping: dict[int, str]
    match: MatchPolicy
    key: MatchKey
    target: TargetRef
    options: UploadOptions
    lead_list: LeadListInfo | None = None
    renames: dict[str, str] = field(default_factory=dict)
    template: Template | None = None
    # The order of each date column (by index), and the birth date's and custom fields'.
    date_orders: dict[int, ColumnDateOrder] = field(default_factory=dict)
    birth_order: DateOrder | None = None
    custom_date_orders: dict[str, DateOrder] = field(default_factory=dict)


def _columns_text(headers: list[str]) -> str:
    shown = ", ".join(repr(h[:60]) for h in headers[:20])
    return shown + (f" and {len(headers) - 20} more" if len(headers) > 20 else "")


def _check_rules_can_hold(template: Template, headers: list[str], mapping: dict[int, str]) -> None:
    """Refuse a file in which a rule of the template that every row keeps has no column."""
    present = {f for f in mapping.values() if f not in (EXTRA, IGNORE)}
    present |= {headers[i].casefold() for i, f in mapping.items() if f == EXTRA}
    for rule in template.rules:
        if rule.customer_type is not None or not rule.any_of:
            continue
        if not any(o in present or o.casefold() in present for o in rule.any_of):
            raise Invalid(
                "Missing columns",
                f"The {template.name} template's rule '{rule.text}' needs one of these "
                f"columns, and the file has none: {', '.join(rule.any_of)}.",
            )


class HopelessFile(Invalid):
    """The file's first rows are all invalid alike: the import stops rather than go on."""


def _failure_text(exc: Exception) -> str:
    if isinstance(exc, FileRejected | Refused):
        return str(exc)
    return "the import stopped on an internal error; it can be retried"


def _row_estimate(path: Path, size: int, sniffed: Sniffed) -> int | None:
    if sniffed.format != "csv":
        return None
    with path.open("rb") as f:
        head = f.read(65536)
    lines = max(head.count(b"\n"), 1)
    if len(head) < 65536:
        return max(lines - (1 if sniffed.dialect.header else 0), 0)
    return int(size / (len(head) / lines))


def id_columns(doc: dict[str, Any]) -> frozenset[int]:
    """The columns of an upload whose cells are national ids, by every mapping it has: each
    header's own reading, the suggested mapping, the one its options give (with a template's)
    and, once started, the one in force."""
    headers: list[str] = doc.get("headers", [])
    mappings: list[dict[int, str | None]] = [
        {i: guess_field(h) for i, h in enumerate(headers)},
        {i: s.get("field") for i, s in enumerate(doc.get("suggested_mapping", []))},
        {int(i): f for i, f in (doc.get("mapping") or {}).items()},
    ]
    try:
        options = UploadOptions.model_validate(doc.get("options") or {})
        template = TEMPLATES.get(options.template) if options.template else None
        explicit = {
            **({h: f for h, f in template.mapping.items() if h in headers} if template else {}),
            **(options.mapping or {}),
        }
        if explicit:
            mappings.append(dict(resolve_mapping(headers, explicit)))
    except (ValueError, MappingError):
        pass  # options that cannot start an import map nothing; the other readings stand
    return national_id_columns(mappings)


def public_sample(doc: dict[str, Any]) -> list[list[str | None]]:
    """The sample rows an upload's answers show, national ids masked (last four only)."""
    columns = id_columns(doc)
    return [masked_cells(row["cells"], columns) for row in doc.get("sample", [])]


def row_outcome_of(doc: dict[str, Any]) -> RowOutcome:
    return RowOutcome(
        row_number=doc["row_number"], status=RowStatus(doc["status"]), reason=doc.get("reason")
    )


def _consents(options: UploadOptions) -> Consents | None:
    given = options.consents
    if given is None:
        return None
    return Consents(email=given.email, sms=given.sms, call=given.call)


def _lead_spec(plan: ImportPlan) -> LeadSpec | None:
    """For an import into a lead list, how its rows become leads."""
    if plan.lead_list is None:
        return None
    given = plan.options.duplicates
    return LeadSpec(
        converter=LeadConverter(
            plan.lead_list, dict(plan.renames), date_orders=dict(plan.custom_date_orders)
        ),
        duplicates=(
            DuplicatePolicy(scope=given.scope, action=given.action)
            if given is not None
            else DuplicatePolicy()
        ),
        churn=plan.options.churn,
    )
