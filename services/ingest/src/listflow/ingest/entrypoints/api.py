"""HTTP API of the ingest service: uploads, their progress, history and error reports."""

import asyncio
import csv
import io
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request, UploadFile
from fastapi.responses import StreamingResponse
from listflow.ingest.domain.reports import error_header, error_lines, safe_cell
from listflow.ingest.domain.upload import TERMINAL, UploadStatus
from listflow.ingest.entrypoints.deps import container_of
from listflow.ingest.entrypoints.records_api import create_from_json
from listflow.ingest.entrypoints.uploads import (
    UploadPublic,
    accept_spooled,
    parse_options,
    spool,
    to_public,
)
from listflow.kit.auth import TenantDep
from listflow.kit.problems import PROBLEM_RESPONSES, Problem
from pydantic import BaseModel

router = APIRouter(prefix="/v1/uploads", tags=["uploads"], responses=PROBLEM_RESPONSES)


class UploadPage(BaseModel):
    items: list[UploadPublic]
    next_cursor: str | None


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
    doc = await container_of(request).imports.start(
        tenant_id=tenant.id,
        upload_id=upload_id,
        options=options,
        api_key=request.headers.get("x-api-key"),
    )
    return to_public(doc, datetime.now(UTC))


@router.post("/{upload_id}/cancel", response_model=UploadPublic, summary="Cancel an upload")
async def cancel_upload(request: Request, tenant: TenantDep, upload_id: str) -> UploadPublic:
    doc = await container_of(request).imports.cancel(tenant_id=tenant.id, upload_id=upload_id)
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
