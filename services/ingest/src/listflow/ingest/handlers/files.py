"""An upload's stored file, read again for an import, a preview or an export: fetched to the
spool, read in batches within the limits, and checked ahead in the row checkers."""

import asyncio
from collections.abc import AsyncGenerator, Iterator
from dataclasses import dataclass
from pathlib import Path

from listflow.ingest.domain.batches import CheckedBatch, CheckSpec
from listflow.ingest.domain.file_rows import BrokenRow, ReadLimits, Row, Sniffed
from listflow.ingest.ports import FileReader, FileStorage, RowChecks


@dataclass(frozen=True)
class UploadFiles:
    files: FileStorage
    reader: FileReader
    checks: RowChecks
    spool_dir: Path
    limits: ReadLimits
    batch_rows: int
    max_rows: int

    def batches(self, path: Path, sniffed: Sniffed) -> Iterator[list[Row | BrokenRow]]:
        return self.reader.iter_row_batches(
            path, sniffed, batch_rows=self.batch_rows, limits=self.limits
        )

    def checked(
        self, spec: CheckSpec, path: Path, sniffed: Sniffed
    ) -> AsyncGenerator[CheckedBatch]:
        """Batches are checked ahead, in worker processes, while the caller handles the
        earliest one; results keep file order, and the row limit holds as they are read."""
        return self.checks.checked_ahead(spec, self.batches(path, sniffed), self.max_rows)

    async def last_rows(self, spec: CheckSpec, path: Path, sniffed: Sniffed) -> dict[str, int]:
        """For `last_wins`: the last row number of every match value, from a first pass."""
        last: dict[str, int] = {}
        batches = self.batches(path, sniffed)
        while (batch := await asyncio.to_thread(next, batches, None)) is not None:
            for row_number, value in await self.checks.keys(spec, batch):
                last[value] = row_number
        return last
