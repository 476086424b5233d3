"""Reports an upload leaves: rejected rows as XLSX, and every row's outcome as CSV or XLSX.

(The CSV error report is in api.py.) Reports stream: the export joins the outcome ledger,
read in row order, with the stored file read again in batches, so neither is held whole.
"""

import asyncio
import secrets
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, StreamingResponse
from listflow.ingest.bootstrap import Container
from listflow.ingest.domain.file_rows import OversizedRow, RaggedRow, sniffed_of
from listflow.ingest.domain.reports import (
    ExportLayout,
    error_header,
    error_lines,
)
from listflow.ingest.entrypoints.deps import container_of
from listflow.kit.auth import TenantDep
from listflow.kit.exports import csv_response, xlsx_response
from listflow.kit.problems import PROBLEM_RESPONSES, Problem

router = APIRouter(prefix="/v1/uploads", tags=["reports"], responses=PROBLEM_RESPONSES)


async def _owned(request: Request, tenant_id: str, upload_id: str) -> dict[str, Any]:
    doc = await container_of(request).repository.get(tenant_id, upload_id)
    if doc is None:
        raise Problem(404, "Not Found", f"No upload {upload_id} in this tenant.")
    return doc


async def error_rows(container: Container, doc: dict[str, Any]) -> AsyncIterator[list[Any]]:
    yield error_header(doc.get("headers", []))
    async for entry in container.repository.errors(doc["_id"]):
        for line in error_lines(entry):
            yield line


async def export_rows(container: Container, doc: dict[str, Any]) -> AsyncIterator[list[Any]]:
    """Every row of the file with its outcome, contact id and identifying columns."""
    headers: list[str] = doc.get("headers", [])
    mapping = {int(i): f for i, f in doc["mapping"].items()}
    layout = ExportLayout(headers, mapping)
    yield layout.header
    upload_id: str = doc["_id"]
    files = container.files
    work = files.spool_dir / f"export-{upload_id}-{secrets.token_hex(4)}"
    try:
        await files.files.fetch(upload_id, work)
        batches = files.batches(work, sniffed_of(doc))
        ledger = aiter(container.repository.outcomes(upload_id))
        pending = await anext(ledger, None)
        while (batch := await asyncio.to_thread(next, batches, None)) is not None:
            for item in batch:
                if isinstance(item, RaggedRow | OversizedRow):
                    number, cells = item.row_number, None
                else:
                    number, cells = item
                while pending is not None and pending["row_number"] < number:
                    pending = await anext(ledger, None)
                if pending is not None and pending["row_number"] == number:
                    yield layout.line(number, cells, pending)
                    pending = await anext(ledger, None)
                else:
                    yield layout.line(number, cells, None)
    finally:
        work.unlink(missing_ok=True)


def _stem(doc: dict[str, Any]) -> str:
    return Path(doc["file_name"]).stem.replace('"', "")


@router.get(
    "/{upload_id}/errors.xlsx",
    summary="Rejected rows as a workbook: row number, column, value, reason, original row",
    response_class=FileResponse,
)
async def error_report_xlsx(request: Request, tenant: TenantDep, upload_id: str) -> FileResponse:
    doc = await _owned(request, tenant.id, upload_id)
    container = container_of(request)
    return await xlsx_response(
        error_rows(container, doc),
        "Errors",
        f"{_stem(doc)}-errors.xlsx",
        container.settings.ingest_spool_dir,
    )


async def _exportable(request: Request, tenant_id: str, upload_id: str) -> dict[str, Any]:
    doc = await _owned(request, tenant_id, upload_id)
    if "mapping" not in doc:
        raise Problem(409, "Not imported", f"Upload {upload_id} has not been started.")
    return doc


@router.get(
    "/{upload_id}/export.csv",
    summary="Every row's outcome: row number, outcome, contact id, reason and key columns",
    response_class=StreamingResponse,
)
async def export_csv(request: Request, tenant: TenantDep, upload_id: str) -> StreamingResponse:
    doc = await _exportable(request, tenant.id, upload_id)
    return csv_response(export_rows(container_of(request), doc), f"{_stem(doc)}-export.csv")


@router.get(
    "/{upload_id}/export.xlsx",
    summary="Every row's outcome as a workbook",
    response_class=FileResponse,
)
async def export_xlsx(request: Request, tenant: TenantDep, upload_id: str) -> FileResponse:
    doc = await _exportable(request, tenant.id, upload_id)
    container = container_of(request)
    return await xlsx_response(
        export_rows(container, doc),
        "Rows",
        f"{_stem(doc)}-export.xlsx",
        container.settings.ingest_spool_dir,
    )
