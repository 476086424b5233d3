"""What reading a list file yields: its dialect and first rows, rows in batches, the rows
reported broken as they are, and the bounds on one file. The reading itself is an adapter
(listflow.ingest.adapters.reader)."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Dialect:
    """How a text file is written; for spreadsheets only `header` is meaningful (others empty)."""

    encoding: str
    delimiter: str
    quote: str
    header: bool


@dataclass(frozen=True)
class Sniffed:
    """What the start of a file revealed: its dialect, column names and first rows."""

    dialect: Dialect
    headers: list[str]
    sample_rows: list[list[str | None]]
    format: str
    sheet: str | None = None
    # A workbook's sheets in order (empty for a text file), so that one can be chosen.
    sheets: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReadLimits:
    """Bounds on one file, so that a hostile or broken file cannot exhaust memory."""

    max_columns: int = 500
    max_cell_chars: int = 32768
    # Spreadsheets are zip archives that calamine inflates whole: a few kilobytes can declare
    # gigabytes. Their entries together may not expand beyond this.
    max_uncompressed_bytes: int = 1024**3


@dataclass(frozen=True)
class RaggedRow:
    """A row with more non-empty cells than the header has columns; its cells are dropped."""

    row_number: int
    expected: int
    found: int
    column: str = ""

    @property
    def reason(self) -> str:
        return f"row has {self.found} cells but the header has {self.expected}"


@dataclass(frozen=True)
class OversizedRow:
    """A row with a cell longer than the limit; its cells are dropped (never echoed)."""

    row_number: int
    column: str
    length: int
    limit: int

    @property
    def reason(self) -> str:
        return f"the cell has {self.length:,} characters; at most {self.limit:,} are allowed"


# A row that is reported as it is, with a reason, without checking its cells.
BrokenRow = RaggedRow | OversizedRow


class FileRejected(ValueError):
    """The file cannot be read at all; the message is meant for the operator."""


Row = tuple[int, list[str | None]]


def sniffed_of(upload: Mapping[str, Any]) -> Sniffed:
    """What was detected of a stored upload's file, to read the file again the same way
    (without its sample rows, which the upload keeps apart)."""
    detected = upload["detected"]
    return Sniffed(
        dialect=Dialect(
            encoding=detected["encoding"],
            delimiter=detected["delimiter"],
            quote=detected["quote"],
            header=detected["header"],
        ),
        headers=upload["headers"],
        sample_rows=[],
        format=upload["format"],
        sheet=detected.get("sheet"),
    )
