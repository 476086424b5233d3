"""HTTP API of the ingest service: uploads, their progress, history and error reports."""

import asyncio
import csv
import io
import json
import secrets
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request, UploadFile
from fastapi.responses import StreamingResponse
from listflow.ingest.domain.reports import error_header, error_lines, safe_cell
from listflow.ingest.domain.upload import TERMINAL, Tally, UploadOptions, UploadStatus, progress
from listflow.ingest.entrypoints.deps import container_of, uploader
from listflow.ingest.entrypoints.mappings_api import resolve_options
from listflow.kit.auth import TenantDep
from listflow.kit.problems import PROBLEM_RESPONSES, Problem
from listflow.schemas.values import Counts
from pydantic import BaseModel, ValidationError

router = APIRouter(prefix="/v1/uploads", tags=["uploads"], responses=PROBLEM_RESPONSES)
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
    detected: dict[str, Any]
    headers: list[str]
    suggested_mapping: list[dict[str, Any]]
    sample: list[list[str | None]]
    failure: str | None = None
    started_at: datetime | None = None
    completed_at: datetime | None = None


class UploadPage(BaseModel):
    items: list[UploadPublic]
    next_cursor: str | None


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
        sample=[row["cells"] for row in doc.get("sample", [])],
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


@router.post(
    "",
    status_code=202,
    response_model=UploadPublic,
    summary="Upload a file (or pasted cells) and, with a target, start importing it",
)
async def create_upload(
    request: Request,
    tenant: TenantDep,
    file: Annotated[UploadFile | None, Form(description="CSV, TSV, XLSX, XLS or ODS file")] = None,
    text: Annotated[
        str | None, Form(description="Pasted spreadsheet cells (tab-separated)")
    ] = None,
    options: Annotated[str | None, Form(description="JSON object of upload options")] = None,
) -> UploadPublic:
    """Multipart form (`file` or `text`, and `options`), or a JSON body
    `{"text" | "record": ..., "options": {...}}` for pasted cells or one contact."""
    if request.headers.get("content-type", "").split(";")[0].strip() == "application/json":
        # Imported here: records_api builds on this module.
        from listflow.ingest.entrypoints.records_api import create_from_json

        return await create_from_json(request, tenant.id)
    container = container_of(request)
    parsed = parse_options(options)
    if file is None and not text:
        raise Problem(
            422, "Nothing to import", "Send a file in the 'file' field or cells in 'text'."
        )
    path, name = await spool(
        file, text, container.settings.ingest_spool_dir, container.settings.ingest_max_upload_bytes
    )
    try:
        doc = await accept_spooled(request, tenant.id, path, name, parsed)
    finally:
        path.unlink(missing_ok=True)
    return to_public(doc, datetime.now(UTC))


async def accept_spooled(
    request: Request, tenant_id: str, path: Path, name: str, options: UploadOptions
) -> dict[str, Any]:
    """Accept a spooled file; a saved mapping is applied once the file's columns are known."""
    ingest = container_of(request).ingest
    start = options.should_start()
    if options.saved_mapping is not None:
        options = options.model_copy(update={"start": False})
    doc = await ingest.accept(
        tenant_id=tenant_id,
        path=path,
        file_name=name,
        options=options,
        uploaded_by=uploader(request),
        api_key=request.headers.get("x-api-key"),
    )
    if options.saved_mapping is not None and start:
        resolved = await resolve_options(request, tenant_id, doc, None)
        doc = await ingest.start(
            tenant_id=tenant_id,
            upload_id=doc["_id"],
            options=resolved,
            api_key=request.headers.get("x-api-key"),
        )
    return doc


@router.get("", response_model=UploadPage, summary="Upload history, newest first")
async def list_uploads(
    request: Request,
    tenant: TenantDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=100)] = None,
    status: UploadStatus | None = None,
    target: Annotated[str | None, Query(max_length=200, description="Target name or id")] = None,
    created_from: Annotated[datetime | None, Query(alias="from")] = None,
    created_to: Annotated[datetime | None, Query(alias="to")] = None,
) -> UploadPage:
    docs, next_cursor = await container_of(request).repository.history(
        tenant.id,
        limit=limit,
        cursor=cursor,
        status=status.value if status else None,
        target=target,
        created_from=created_from,
        created_to=created_to,
    )
    now = datetime.now(UTC)
    return UploadPage(items=[to_public(d, now) for d in docs], next_cursor=next_cursor)


async def _owned(request: Request, tenant_id: str, upload_id: str) -> dict[str, Any]:
    doc = await container_of(request).repository.get(tenant_id, upload_id)
    if doc is None:
        raise Problem(404, "Not Found", f"No upload {upload_id} in this tenant.")
    return doc


@router.get("/{upload_id}", response_model=UploadPublic, summary="Status, counts and progress")
async def get_upload(request: Request, tenant: TenantDep, upload_id: str) -> UploadPublic:
    return to_public(await _owned(request, tenant.id, upload_id), datetime.now(UTC))


@router.post(
    "/{upload_id}/start", status_code=202, response_model=UploadPublic, summary="Start importing"
)
async def start_upload(
    request: Request, tenant: TenantDep, upload_id: str, body: dict[str, Any] | None = None
) -> UploadPublic:
    options = parse_options(json.dumps(body)) if body else None
    options = await resolve_options(
        request, tenant.id, await _owned(request, tenant.id, upload_id), options
    )
    doc = await container_of(request).ingest.start(
        tenant_id=tenant.id,
        upload_id=upload_id,
        options=options,
        api_key=request.headers.get("x-api-key"),
    )
    return to_public(doc, datetime.now(UTC))


@router.post("/{upload_id}/cancel", response_model=UploadPublic, summary="Cancel an upload")
async def cancel_upload(request: Request, tenant: TenantDep, upload_id: str) -> UploadPublic:
    doc = await container_of(request).ingest.cancel(tenant_id=tenant.id, upload_id=upload_id)
    return to_public(doc, datetime.now(UTC))


@router.get(
    "/{upload_id}/errors.csv",
    summary="Rejected rows: row number, column, value, reason and the original row",
    response_class=StreamingResponse,
)
async def error_report(request: Request, tenant: TenantDep, upload_id: str) -> StreamingResponse:
    doc = await _owned(request, tenant.id, upload_id)
    headers: list[str] = doc.get("headers", [])
    repository = container_of(request).repository

    async def lines() -> AsyncIterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        # Headers come from the file too: neutralised like every other cell.
        writer.writerow([safe_cell(h) for h in error_header(headers)])
        async for entry in repository.errors(upload_id):
            for line in error_lines(entry):
                writer.writerow([line[0], *(safe_cell(c) for c in line[1:])])
            if buffer.tell() > 64 * 1024:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    file_name = f"{Path(doc['file_name']).stem}-errors.csv"
    return StreamingResponse(
        lines(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{file_name}"'},
    )


@router.get(
    "/{upload_id}/events",
    summary="Progress as server-sent events until the upload ends",
    response_class=StreamingResponse,
)
async def progress_events(request: Request, tenant: TenantDep, upload_id: str) -> StreamingResponse:
    await _owned(request, tenant.id, upload_id)
    repository = container_of(request).repository

    async def stream() -> AsyncIterator[str]:
        last = None
        while not await request.is_disconnected():
            doc = await repository.get(tenant.id, upload_id)
            if doc is None:
                return
            public = to_public(doc, datetime.now(UTC)).model_dump_json(
                include={"id", "status", "counts", "progress"}
            )
            if public != last:
                yield f"event: progress\ndata: {public}\n\n"
                last = public
            if UploadStatus(doc["status"]) in TERMINAL:
                yield f"event: end\ndata: {public}\n\n"
                return
            await asyncio.sleep(0.5)

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
