"""Files people download and open in a spreadsheet, streamed: CSV as it is written, XLSX
through openpyxl's write-only workbook (rows go to a temporary file, memory stays bounded).
Text cells are spreadsheet-safe (`cells.safe_cell` in CSV; typed as text in XLSX)."""

import asyncio
import csv
import io
import secrets
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from fastapi.responses import FileResponse, StreamingResponse
from listflow.kit.cells import safe_cell, xlsx_text
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from starlette.background import BackgroundTask

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv; charset=utf-8"
FLUSH_ROWS = 1000


def csv_response(rows: AsyncIterator[list[Any]], file_name: str) -> StreamingResponse:
    """The rows as a CSV download, sent in chunks of about 64 KiB as they come."""

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
        media_type=CSV,
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


async def xlsx_response(
    rows: AsyncIterator[list[Any]], title: str, file_name: str, spool_dir: Path
) -> FileResponse:
    """The rows as one sheet of a workbook, built in `spool_dir` and deleted once sent."""
    path = spool_dir / f"report-{secrets.token_hex(8)}.xlsx"
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
