"""What the upload routes share (uploads, records by hand, previews): the public view of an
upload, upload options parsed from a form, spooling a file, and accepting it."""

import json
import secrets
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import Request, UploadFile
from listflow.ingest.domain.samples import public_sample
from listflow.ingest.domain.upload import Tally, UploadOptions, UploadStatus, progress
from listflow.ingest.entrypoints.deps import container_of, uploader
from listflow.kit.problems import Problem
from listflow.schemas.values import Counts
from pydantic import BaseModel, Field, ValidationError

COPY_CHUNK = 1024 * 1024


class ProgressPublic(BaseModel):
    percent: float
    rows_read: int
    processed: int
    rows_per_second: float | None
    eta_seconds: float | None


class UploadPublic(BaseModel):
    id: str
    status: UploadStatus
    file_name: str
    format: str
    size_bytes: int
    created_at: datetime
    uploaded_by: str | None = None
    target: dict[str, Any] | None = None
    match: dict[str, Any] | None = None
    counts: Counts
    progress: ProgressPublic
    detected: dict[str, Any] = Field(
        description="The layout read from the file: encoding, delimiter, quote, header, sheet "
        "(the one read), sheets (a workbook's sheet names in order; empty for a text file), "
        "row_estimate, date_columns, date_orders"
    )
    headers: list[str]
    suggested_mapping: list[dict[str, Any]]
    sample: list[list[str | None]]
    date_orders: list[dict[str, Any]] = Field(
        default_factory=list,
        description="Once started: the order each mapped date column is read in (column, "
        "order, source, ambiguous); before, see detected.date_orders",
    )
    failure: str | None = None
    started_at: datetime | None = None
    completed_at: datetime | None = None


def to_public(doc: dict[str, Any], now: datetime) -> UploadPublic:
    tally = Tally(doc.get("tally", {}))
    total = doc.get("total_rows")
    rows_read = doc.get("rows_read", 0)
    prog = progress(
        rows_read=rows_read,
        processed=tally.processed,
        total=total,
        started_at=doc.get("started_at"),
        now=now,
        row_estimate=doc.get("detected", {}).get("row_estimate"),
    )
    return UploadPublic(
        id=doc["_id"],
        status=UploadStatus(doc["status"]),
        file_name=doc["file_name"],
        format=doc["format"],
        size_bytes=doc["size_bytes"],
        created_at=doc["created_at"],
        uploaded_by=doc.get("uploaded_by"),
        target=doc.get("target") or doc.get("options", {}).get("target"),
        match=doc.get("match"),
        counts=tally.counts(total if total is not None else rows_read),
        progress=ProgressPublic(
            percent=prog.percent,
            rows_read=prog.rows_read,
            processed=prog.processed,
            rows_per_second=round(prog.rows_per_second, 1) if prog.rows_per_second else None,
            eta_seconds=round(prog.eta_seconds, 1) if prog.eta_seconds is not None else None,
        ),
        detected=doc.get("detected", {}),
        headers=doc.get("headers", []),
        suggested_mapping=doc.get("suggested_mapping", []),
        sample=public_sample(doc),
        date_orders=doc.get("date_orders", []),
        failure=doc.get("failure"),
        started_at=doc.get("started_at"),
        completed_at=doc.get("completed_at"),
    )


def parse_options(raw: str | None) -> UploadOptions:
    if raw is None or not raw.strip():
        return UploadOptions()
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise Problem(400, "Invalid options", f"options is not valid JSON: {exc.msg}") from exc
    if not isinstance(data, dict):
        raise Problem(400, "Invalid options", "options must be a JSON object.")
    try:
        return UploadOptions.model_validate(data)
    except ValidationError as exc:
        errors = [
            {"location": ".".join(str(p) for p in e["loc"]), "message": e["msg"]}
            for e in exc.errors()
        ]
        raise Problem(422, "Invalid options", "Some options are not valid.", errors=errors) from exc


async def spool(
    source: UploadFile | None, text: str | None, spool_dir: Path, limit: int
) -> tuple[Path, str]:
    """Copy the upload to a local file, refusing it as soon as it passes the size limit."""
    path = spool_dir / f"incoming-{secrets.token_hex(8)}"
    written = 0
    try:
        with path.open("wb") as target:
            if source is not None:
                while chunk := await source.read(COPY_CHUNK):
                    written += len(chunk)
                    if written > limit:
                        raise Problem(
                            413, "File too large", f"Files are limited to {limit:,} bytes."
                        )
                    target.write(chunk)
                name = source.filename or "upload"
            else:
                assert text is not None
                data = text.encode()
                if len(data) > limit:
                    raise Problem(
                        413, "Text too large", f"Pasted text is limited to {limit:,} bytes."
                    )
                target.write(data)
                name = "pasted.tsv"
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path, Path(name).name


async def accept_spooled(
    request: Request, tenant_id: str, path: Path, name: str, options: UploadOptions
) -> dict[str, Any]:
    """Accept a spooled file (and start it, if its options say so)."""
    return await container_of(request).accept.accept(
        tenant_id=tenant_id,
        path=path,
        file_name=name,
        options=options,
        uploaded_by=uploader(request),
        api_key=request.headers.get("x-api-key"),
    )
