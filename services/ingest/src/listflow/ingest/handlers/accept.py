"""Accepting a file: stored, its layout detected, refused early if it cannot import, and
started at once if its options say so (after its saved mapping is applied)."""

import asyncio
import csv
import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from listflow.ingest.domain.date_orders import evidence_of, orders_for
from listflow.ingest.domain.fields import CANONICAL_FIELDS, suggest_mapping
from listflow.ingest.domain.file_rows import FileRejected, Sniffed
from listflow.ingest.domain.rows import RowOptions, RowValidator
from listflow.ingest.domain.samples import public_sample
from listflow.ingest.domain.upload import Upload, UploadOptions, UploadStatus
from listflow.ingest.handlers.files import UploadFiles
from listflow.ingest.handlers.imports import Imports
from listflow.ingest.handlers.planning import Planner, check_target
from listflow.ingest.ports import IngestEventSink, UploadStore
from listflow.kit.clock import Clock
from listflow.kit.errors import Invalid, TooLarge
from listflow.kit.logging import get_logger
from listflow.kit.pii import Protector
from listflow.schemas.events import UploadAccepted
from listflow.schemas.matching import default_match_key, match_value
from listflow.schemas.values import TargetKind

_log = get_logger(__name__)

# The row estimate (from the first 64 KiB) may be this far off before a file is refused on it.
ROW_ESTIMATE_MARGIN = 1.25


def new_upload_id(now: datetime) -> str:
    """Time-ordered ids: history sorts newest first by id alone."""
    return f"{int(now.timestamp() * 1000):012x}{secrets.token_hex(6)}"


@dataclass(frozen=True)
class Accept:
    repository: UploadStore
    events: IngestEventSink
    files: UploadFiles
    planner: Planner
    imports: Imports
    protector: Protector
    clock: Clock

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
        """Accept a spooled file, and start it if the options say so; a saved mapping is
        applied at the start, once the file's columns are known."""
        start = options.should_start()
        if options.saved_mapping is not None:
            options = options.model_copy(update={"start": False})
        doc = await self._store(tenant_id, path, file_name, options, uploaded_by)
        if not start:
            return doc
        return await self.imports.start(
            tenant_id=tenant_id, upload_id=doc["_id"], options=None, api_key=api_key
        )

    async def accept_record(
        self,
        *,
        tenant_id: str,
        record: dict[str, str],
        options: UploadOptions,
        uploaded_by: str,
        api_key: str | None = None,
    ) -> dict[str, Any]:
        """Validate one record now (refused with every reason), then accept it as a one-row
        upload: the same path as a file, a one-row CSV whose header is the field names."""
        unknown = sorted(set(record) - set(CANONICAL_FIELDS))
        if unknown:
            raise Invalid(
                "Unknown fields",
                f"Unknown fields: {', '.join(unknown)}. Use: {', '.join(CANONICAL_FIELDS)}.",
            )
        fields = list(record)
        cells: list[str | None] = [record[f] or None for f in fields]
        validator = RowValidator(
            fields,
            dict(enumerate(fields)),
            RowOptions(
                default_region=options.default_region or self.planner.default_region,
                date_order=options.date_order,
            ),
            self.protector,
        )
        result = validator.validate(1, cells)
        if isinstance(result, list):
            raise Invalid(
                "Invalid record",
                "; ".join(f"{e.column}: {e.reason}" if e.column else e.reason for e in result),
                errors=[{"field": e.column, "value": e.value, "reason": e.reason} for e in result],
            )
        key = options.match.key or default_match_key(set(fields))
        if match_value(result, key) is None:
            raise Invalid(
                "Invalid record", f"The record has no value for the match key {key.value}."
            )
        path = self.files.spool_dir / f"record-{secrets.token_hex(8)}.csv"
        with path.open("w", encoding="utf-8", newline="") as target:
            writer = csv.writer(target)
            writer.writerow(fields)
            writer.writerow([c or "" for c in cells])
        layout = UploadOptions.model_validate(
            {"encoding": "utf-8", "delimiter": ",", "quote": '"', "header": True, "mapping": {}}
        )
        merged = options.merged_with(layout).model_copy(
            update={"mapping": {f: f for f in fields}, "template": None}
        )
        try:
            return await self.accept(
                tenant_id=tenant_id,
                path=path,
                file_name="record.csv",
                options=merged,
                uploaded_by=uploaded_by,
                api_key=api_key,
            )
        finally:
            path.unlink(missing_ok=True)

    async def _store(
        self, tenant_id: str, path: Path, file_name: str, options: UploadOptions, by: str
    ) -> dict[str, Any]:
        """Store a spooled file and detect its layout."""
        size = (await asyncio.to_thread(path.stat)).st_size
        if size == 0:
            raise Invalid("Empty file", "The file has no content.")
        limits = self.files.limits
        try:
            sniffed = await asyncio.to_thread(
                self.files.reader.sniff,
                path,
                encoding=options.encoding,
                delimiter=options.delimiter,
                quote=options.quote,
                header=options.header,
                sheet=options.sheet,
                limits=limits,
            )
        except FileRejected as exc:
            raise Invalid("File rejected", str(exc)) from exc
        if options.target is not None:
            check_target(options)
        scan = await asyncio.to_thread(self.files.reader.scan_dates, path, sniffed, limits=limits)
        date_columns = scan.date_columns(sniffed.headers)
        estimate = _row_estimate(path, size, sniffed)
        max_rows = self.files.max_rows
        if estimate is not None and estimate > max_rows * ROW_ESTIMATE_MARGIN:
            # Refused now rather than after a long read; the exact limit holds while reading.
            raise TooLarge(
                "Too many rows",
                f"The file has about {estimate:,} rows; at most {max_rows:,} are allowed. "
                "Split it into smaller files.",
            )
        now = self.clock()
        upload_id = new_upload_id(now)
        await self.files.files.put(upload_id, path, file_name, {"tenant_id": tenant_id})
        suggestions = suggest_mapping(sniffed.headers)
        doc: dict[str, Any] = {
            "_id": upload_id,
            "tenant_id": tenant_id,
            "file_name": file_name,
            "size_bytes": size,
            "format": sniffed.format,
            "uploaded_by": by,
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
                        options.default_region or self.planner.default_region,
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
            self.planner.plan(Upload.from_document(doc), options)
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
        return doc


def _row_estimate(path: Path, size: int, sniffed: Sniffed) -> int | None:
    if sniffed.format != "csv":
        return None
    with path.open("rb") as f:
        head = f.read(65536)
    lines = max(head.count(b"\n"), 1)
    if len(head) < 65536:
        return max(lines - (1 if sniffed.dialect.header else 0), 0)
    return int(size / (len(head) / lines))
