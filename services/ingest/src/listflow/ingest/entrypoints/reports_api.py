"""Reports an upload leaves: rejected rows as XLSX, and every row's outcome as CSV or XLSX.

(The CSV error report is in api.py.) Reports stream: the export joins the outcome ledger,
read in row order, with the stored file read again in batches, so neither is held whole.
"""

import asyncio
import csv
import io
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
    safe_cell,
    xlsx_text,
)
from listflow.ingest.entrypoints.deps import container_of
from listflow.kit.auth import TenantDep
from listflow.kit.problems import PROBLEM_RESPONSES, Problem
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from starlette.background import BackgroundTask

router = APIRouter(prefix="/v1/uploads", tags=["reports"], responses=PROBLEM_RESPONSES)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FLUSH_ROWS = 1000


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


def _csv_response(rows: AsyncIterator[list[Any]], file_name: str) -> StreamingResponse:
    async def lines() -> AsyncIterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        async for row in rows:
            writer.writerow([safe_cell(c) if isinstance(c, str) else c for c in row])
            if buffer.tell() > 64 * 1024:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    return StreamingResponse(
        lines(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{file_name}"'},
    )


def _append(sheet: WriteOnlyWorksheet, lines: list[list[Any]]) -> None:
    for line in lines:
        cells = []
        for value in line:
            if isinstance(value, int):
                cells.append(value)
                continue
            cell = WriteOnlyCell(sheet, xlsx_text(value))
            # Typed as text: a value such as "=HYPERLINK(...)" is shown, never evaluated.
            cell.data_type = "s"
            cells.append(cell)
        sheet.append(cells)


async def _xlsx_response(
    container: Container, rows: AsyncIterator[list[Any]], title: str, file_name: str
) -> FileResponse:
    # A write-only workbook streams its rows to a temporary file: memory stays bounded.
    path: Path = container.settings.ingest_spool_dir / f"report-{secrets.token_hex(8)}.xlsx"
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title)
    pending: list[list[Any]] = []
    try:
        async for row in rows:
            pending.append(row)
            if len(pending) >= FLUSH_ROWS:
                await asyncio.to_thread(_append, sheet, pending)
                pending = []
        await asyncio.to_thread(_append, sheet, pending)
        await asyncio.to_thread(workbook.save, path)
    except BaseException:
        await asyncio.to_thread(path.unlink, missing_ok=True)
        raise
    return FileResponse(
        path,
        media_type=XLSX,
        filename=file_name,
        background=BackgroundTask(path.unlink, missing_ok=True),
    )


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
    return await _xlsx_response(
        container, error_rows(container, doc), "Errors", f"{_stem(doc)}-errors.xlsx"
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
    return _csv_response(export_rows(container_of(request), doc), f"{_stem(doc)}-export.csv")


@router.get(
    "/{upload_id}/export.xlsx",
    summary="Every row's outcome as a workbook",
    response_class=FileResponse,
)
async def export_xlsx(request: Request, tenant: TenantDep, upload_id: str) -> FileResponse:
    doc = await _exportable(request, tenant.id, upload_id)
    container = container_of(request)
    return await _xlsx_response(
        container, export_rows(container, doc), "Rows", f"{_stem(doc)}-export.xlsx"
    )
