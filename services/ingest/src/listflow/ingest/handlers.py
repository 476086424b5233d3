"""Use cases of the ingest service: accept a file, import it, track outcomes, complete."""

import asyncio
import os
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from listflow.ingest.adapters.file_store import FileStore
from listflow.ingest.adapters.kafka_events import IngestEvents
from listflow.ingest.adapters.leads_client import LeadListClient
from listflow.ingest.adapters.mongo_repository import UploadRepository
from listflow.ingest.domain.fields import MappingError, resolve_mapping, suggest_mapping
from listflow.ingest.domain.lead_rows import LeadListInfo, lead_explicit_mapping, narrow_mapping
from listflow.ingest.domain.reader import FileRejected, ReadLimits, Sniffed, iter_row_batches, sniff
from listflow.ingest.domain.rows import RowError, RowOptions, RowValidator, default_match_key
from listflow.ingest.domain.templates import TEMPLATES
from listflow.ingest.domain.upload import (
    Tally,
    UploadOptions,
    UploadStatus,
)
from listflow.ingest.lead_import import LeadParsedBatch, lead_parser_for
from listflow.kit.logging import get_logger
from listflow.kit.pii import Protector
from listflow.kit.problems import Problem
from listflow.kit.timing import StepTimer
from listflow.schemas.events import (
    ContactRowParsed,
    ListReady,
    RowOutcome,
    RowOutcomes,
    UploadAccepted,
    UploadCancelled,
    UploadCompleted,
    UploadParsed,
    UploadStarted,
)
from listflow.schemas.matching import match_value
from listflow.schemas.values import (
    Consents,
    ContactData,
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
SENSITIVE_FIELDS = frozenset({"ssn", "document_number"})


def new_upload_id(now: datetime) -> str:
    """Time-ordered ids: history sorts newest first by id alone."""
    return f"{int(now.timestamp() * 1000):012x}{secrets.token_hex(6)}"


def mask(value: str) -> str:
    return "*" * max(len(value) - 4, 0) + value[-4:]


@dataclass
class Ingest:
    """The ingest use cases, wired with their adapters."""

    repository: UploadRepository
    files: FileStore
    events: IngestEvents
    protector: Protector
    spool_dir: Path
    limits: ReadLimits
    batch_rows: int
    max_rows: int
    default_region: str
    clock: Clock = field(default=lambda: datetime.now(UTC))
    lead_lists: LeadListClient | None = None
    instance_id: str = field(default_factory=lambda: f"{os.getpid()}-{secrets.token_hex(4)}")
    _tasks: dict[str, asyncio.Task[None]] = field(default_factory=dict)

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
            raise Problem(422, "Empty file", "The file has no content.")
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
            raise Problem(422, "File rejected", str(exc)) from exc
        if options.target is not None:
            self._check_target(options)
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
                "row_estimate": _row_estimate(path, size, sniffed),
            },
            "headers": sniffed.headers,
            "suggested_mapping": [
                {"column": s.column, "field": s.field, "confidence": s.confidence}
                for s in suggestions
            ],
            # FerretDB stores no nested arrays: each sample row is an object.
            "sample": [{"cells": row} for row in sniffed.sample_rows[:5]],
            "options": options.model_dump(mode="json", exclude_unset=True),
            "tally": {},
            "rows_read": 0,
            "total_rows": None,
        }
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
            raise Problem(422, "Invalid target", "A target needs a name or an id.")

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
            raise Problem(404, "Not Found", f"No upload {upload_id} in this tenant.")
        merged = UploadOptions.model_validate(doc["options"]).merged_with(options)
        if merged.target is None:
            raise Problem(422, "Missing target", "Starting an import needs a target group.")
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
                "started_at": now,
                **({"lead_list": doc["lead_list"]} if "lead_list" in doc else {}),
            },
        )
        if started is None:
            raise Problem(409, "Already started", f"Upload {upload_id} is {doc['status']}.")
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
            raise Problem(422, "Unsupported target", "Lead list targets are not configured.")
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
            raise Problem(422, "Invalid mapping", str(exc)) from exc
        if lead_list is not None:
            mapping = narrow_mapping(mapping)
        fields = set(mapping.values()) - {"extra", "ignore"}
        required = template.required_fields if template is not None else ()
        if missing := [f for f in required if f not in fields]:
            assert template is not None
            columns = ", ".join(c.header for c in template.columns if c.field in missing)
            raise Problem(
                422,
                "Missing columns",
                f"The {template.name} template needs these columns: {columns}.",
            )
        key = options.match.key or default_match_key(fields)
        if lead_list is not None:
            key = MatchKey.PHONE  # leads are matched by any of their phones
        match = options.match.model_copy(update={"key": key})
        name = options.target.name or options.target.id or ""
        target_id = options.target.id or list_id_for(tenant_id, options.target.kind, name)
        if lead_list is not None:
            name, target_id = lead_list.name, lead_list.id
        target = TargetRef(kind=options.target.kind, id=target_id, name=name)
        return ImportPlan(
            headers=headers,
            required=required,
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
        sniffed = Sniffed(**_sniffed_fields(doc))
        parser = BatchParser(
            plan=plan,
            upload_id=upload_id,
            tenant_id=tenant_id,
            validator=RowValidator(
                plan.headers,
                plan.mapping,
                RowOptions(
                    default_region=plan.options.default_region or self.default_region,
                    date_order=plan.options.date_order,
                    required_fields=plan.required,
                ),
                self.protector,
            ),
        )
        lead_parser = lead_parser_for(plan, parser)
        if plan.match.in_file_duplicates is InFileDuplicates.LAST_WINS:
            parser.last_rows = await asyncio.to_thread(
                parser.last_row_per_key,
                iter_row_batches(path, sniffed, batch_rows=self.batch_rows, limits=self.limits),
            )
        batches = iter_row_batches(path, sniffed, batch_rows=self.batch_rows, limits=self.limits)
        rows_read = 0
        published = 0
        while True:
            timer = StepTimer()
            batch = await asyncio.to_thread(next, batches, None)
            if batch is None:
                break
            timer.lap("read")
            if rows_read + len(batch) > self.max_rows:
                raise FileRejected(f"the file has more than {self.max_rows:,} rows, the limit")
            parsed: ParsedBatch | LeadParsedBatch = await asyncio.to_thread(
                lead_parser.parse if lead_parser else parser.parse, batch
            )
            timer.lap("validate")
            rows_read += len(batch)
            current = await self.repository.get_any(upload_id)
            if current is None or current["status"] != UploadStatus.IMPORTING.value:
                _log.info(
                    "import stopped", upload_id=upload_id, status=current and current["status"]
                )
                return
            if isinstance(parsed, LeadParsedBatch):
                if parsed.rows:
                    await self.events.lead_rows(parsed.rows)
            elif parsed.rows:
                await self.events.contact_rows(parsed.rows)
                published += len(parsed.rows)
            timer.lap("publish")
            await self.repository.record(upload_id, parsed.outcomes)
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
            _log.info("batch imported", upload_id=upload_id, rows=len(batch), **timer.laps)
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
                invalid_rows=parser.invalid,
                duplicate_rows=parser.duplicates,
                parsed_at=now,
            ),
            event_id=f"{upload_id}:parsed",
        )

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

    async def check_completion(self, upload_id: str, *, recount: bool = False) -> None:
        doc = await self.repository.get_any(upload_id)
        if doc is None or doc.get("total_rows") is None:
            return
        total: int = doc["total_rows"]
        if doc["status"] == UploadStatus.IMPORTING.value:
            if Tally(doc.get("tally", {})).processed < total and not recount:
                return
            tally = await self.repository.recount(upload_id)
            if tally.processed < total:
                return
            doc = await self.repository.transition(
                upload_id,
                [UploadStatus.IMPORTING],
                {
                    "status": UploadStatus.COMPLETED.value,
                    "tally": tally.by_status,
                    "completed_at": self.clock(),
                    "announced": False,
                },
            )
            if doc is None:
                return
        if doc["status"] == UploadStatus.COMPLETED.value and not doc.get("announced", True):
            await self._announce(doc)

    async def _announce(self, doc: dict[str, Any]) -> None:
        """Publish completion; event ids are fixed, so an announcement repeated after a crash
        is recognisable as the same fact."""
        upload_id = doc["_id"]
        target = TargetRef.model_validate(doc["target"])
        counts = Tally(doc.get("tally", {})).counts(doc["total_rows"])
        completed_at: datetime = doc["completed_at"]
        await self.events.upload_event(
            upload_id,
            UploadCompleted(
                tenant_id=doc["tenant_id"],
                upload_id=upload_id,
                target=target,
                counts=counts,
                completed_at=completed_at,
            ),
            event_id=f"{upload_id}:completed",
        )
        await self.events.list_ready(
            ListReady(
                tenant_id=doc["tenant_id"],
                list_kind=target.kind,
                list_id=target.id,
                list_name=target.name,
                upload_id=upload_id,
                counts=counts,
                ready_at=completed_at,
            )
        )
        await self.repository.update(upload_id, {"announced": True})
        _log.info("upload completed", upload_id=upload_id, **counts.model_dump())

    async def cancel(self, *, tenant_id: str, upload_id: str) -> dict[str, Any]:
        doc = await self.repository.get(tenant_id, upload_id)
        if doc is None:
            raise Problem(404, "Not Found", f"No upload {upload_id} in this tenant.")
        now = self.clock()
        updated = await self.repository.transition(
            upload_id,
            [UploadStatus.UPLOADED, UploadStatus.IMPORTING],
            {"status": UploadStatus.CANCELLED.value, "cancelled_at": now},
        )
        if updated is None:
            raise Problem(409, "Cannot cancel", f"Upload {upload_id} is already {doc['status']}.")
        await self.events.upload_event(
            upload_id,
            UploadCancelled(tenant_id=tenant_id, upload_id=upload_id, cancelled_at=now),
            event_id=f"{upload_id}:cancelled",
        )
        return updated

    async def reconcile(self) -> None:
        """Recover after crashes: resume imports whose runner died, finish what is complete."""
        for doc in await self.repository.unfinished():
            if doc["status"] == UploadStatus.IMPORTING.value and doc.get("total_rows") is None:
                lease = doc.get("lease_until")
                if (lease is None or lease < self.clock()) and doc["_id"] not in self._tasks:
                    _log.info("resuming import", upload_id=doc["_id"])
                    self.launch(doc["_id"])
            else:
                # Recount from the ledger: a running-tally increment can be lost (a crash
                # between ledger insert and $inc, or, seen once on FerretDB, a concurrent
                # update), and the upload would then wait forever although every row has
                # its outcome.
                await self.check_completion(doc["_id"], recount=True)

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


@dataclass
class ParsedBatch:
    rows: list[ContactRowParsed]
    outcomes: list[dict[str, Any]]


@dataclass
class BatchParser:
    """Validates rows, marks in-file duplicates and builds row events (runs off the event loop)."""

    plan: ImportPlan
    upload_id: str
    tenant_id: str
    validator: RowValidator
    seen: set[str] = field(default_factory=set)
    last_rows: dict[str, int] | None = None
    invalid: int = 0
    duplicates: int = 0

    def _contact(self, row_number: int, cells: list[str | None]) -> ContactData | list[RowError]:
        result = self.validator.validate(row_number, cells)
        if isinstance(result, list):
            return result
        options = self.plan.options
        updates: dict[str, Any] = {}
        if options.tags:
            updates["tags"] = tuple(dict.fromkeys((*result.tags, *options.tags)))
        if options.consents is not None:
            given = options.consents
            updates["consents"] = Consents(
                email=result.consents.email if result.consents.email is not None else given.email,
                sms=result.consents.sms if result.consents.sms is not None else given.sms,
                call=result.consents.call if result.consents.call is not None else given.call,
            )
        return result.model_copy(update=updates) if updates else result

    def last_row_per_key(self, batches: Iterator[list[Any]]) -> dict[str, int]:
        last: dict[str, int] = {}
        for batch in batches:
            for item in batch:
                if not isinstance(item, tuple):
                    continue
                row_number, cells = item
                contact = self.validator.validate(row_number, cells)
                if not isinstance(contact, list):
                    value = match_value(contact, self.plan.key)
                    if value is not None:
                        last[value] = row_number
        return last

    def parse(self, batch: list[Any]) -> ParsedBatch:
        rows: list[ContactRowParsed] = []
        outcomes: list[dict[str, Any]] = []
        for item in batch:
            if not isinstance(item, tuple):  # a ragged row
                self.invalid += 1
                outcomes.append(
                    _invalid(
                        self.tenant_id,
                        item.row_number,
                        "",
                        "",
                        f"row has {item.found} cells but the header has {item.expected}",
                        None,
                    )
                )
                continue
            row_number, cells = item
            contact = self._contact(row_number, cells)
            if isinstance(contact, list):
                self.invalid += 1
                first = contact[0]
                outcomes.append(
                    _invalid(
                        self.tenant_id,
                        row_number,
                        first.column,
                        first.value,
                        "; ".join(
                            e.reason if not e.column else f"{e.column}: {e.reason}" for e in contact
                        ),
                        self._masked_cells(cells),
                        errors=[
                            {"column": e.column, "value": e.value, "reason": e.reason}
                            for e in contact
                        ],
                    )
                )
                continue
            value = match_value(contact, self.plan.key)
            if value is None:
                self.invalid += 1
                outcomes.append(
                    _invalid(
                        self.tenant_id,
                        row_number,
                        self.plan.key.value,
                        "",
                        f"no value for the match key {self.plan.key.value}",
                        self._masked_cells(cells),
                    )
                )
                continue
            if self._is_duplicate(value, row_number):
                self.duplicates += 1
                outcomes.append(
                    {
                        "tenant_id": self.tenant_id,
                        "row_number": row_number,
                        "status": RowStatus.DUPLICATE.value,
                        "reason": f"same {self.plan.key.value} as another row of the file",
                    }
                )
                continue
            rows.append(
                ContactRowParsed(
                    tenant_id=self.tenant_id,
                    upload_id=self.upload_id,
                    row_number=row_number,
                    target=self.plan.target,
                    match=self.plan.match,
                    match_key=self.plan.key,
                    match_value=value,
                    contact=contact,
                )
            )
        return ParsedBatch(rows, outcomes)

    def _is_duplicate(self, value: str, row_number: int) -> bool:
        if self.last_rows is not None:
            return self.last_rows.get(value, row_number) != row_number
        if value in self.seen:
            return True
        self.seen.add(value)
        return False

    def _masked_cells(self, cells: list[str | None]) -> list[str | None]:
        """The original row for the error report, with national ids masked."""
        return [
            mask(c) if c and self.plan.mapping.get(i) in SENSITIVE_FIELDS else c
            for i, c in enumerate(cells)
        ]


def _invalid(
    tenant_id: str,
    row_number: int,
    column: str,
    value: str,
    reason: str,
    cells: list[str | None] | None,
    errors: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    return {
        "tenant_id": tenant_id,
        "row_number": row_number,
        "status": RowStatus.INVALID.value,
        "column": column,
        "value": value,
        "reason": reason,
        "errors": errors or [{"column": column, "value": value, "reason": reason}],
        "cells": cells,
    }


def _failure_text(exc: Exception) -> str:
    if isinstance(exc, FileRejected | Problem):
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


def _sniffed_fields(doc: dict[str, Any]) -> dict[str, Any]:
    from listflow.ingest.domain.reader import Dialect

    detected = doc["detected"]
    return {
        "dialect": Dialect(
            encoding=detected["encoding"],
            delimiter=detected["delimiter"],
            quote=detected["quote"],
            header=detected["header"],
        ),
        "headers": doc["headers"],
        "sample_rows": [],
        "format": doc["format"],
        "sheet": detected.get("sheet"),
    }


def row_outcome_of(doc: dict[str, Any]) -> RowOutcome:
    return RowOutcome(
        row_number=doc["row_number"], status=RowStatus(doc["status"]), reason=doc.get("reason")
    )
