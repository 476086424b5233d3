"""Rows of the reports an upload leaves behind: rejected rows, and every row's outcome.

Both are opened in spreadsheets, so nothing written may run as a formula there; national ids
are masked to their last four characters.
"""

from collections.abc import Container, Iterable, Iterator, Mapping, Sequence
from typing import Any

from listflow.kit.cells import XLSX_MAX_CELL, safe_cell, xlsx_text

from .fields import EMAIL_FIELDS, PHONE_FIELDS

__all__ = ["XLSX_MAX_CELL", "safe_cell", "xlsx_text"]

SENSITIVE_FIELDS = frozenset({"ssn", "document_number"})
# What identifies a row's customer in the export; other columns stay in the original file.
EXPORT_FIELDS: tuple[str, ...] = (
    "first_name",
    "last_name",
    "company_name",
    "customer_id",
    "external_id",
    "account_number",
    *PHONE_FIELDS,
    *EMAIL_FIELDS,
    "document_number",
    "ssn",
)
NOT_PROCESSED = "not_processed"


def mask(value: str) -> str:
    return "*" * max(len(value) - 4, 0) + value[-4:]


def national_id_columns(mappings: Iterable[Mapping[int, str | None]]) -> frozenset[int]:
    """The columns any of these mappings (guessed, suggested, given, in force) calls a
    national id: a column is masked if one of them says so, so correcting a mapping never
    shows a value another reading of the file took for an id."""
    return frozenset(i for m in mappings for i, f in m.items() if f in SENSITIVE_FIELDS)


def masked_cells(cells: Sequence[str | None], columns: Container[int]) -> list[str | None]:
    """A row as it may be shown or reported: the cells of these columns masked."""
    return [mask(c) if c and i in columns else c for i, c in enumerate(cells)]


def error_header(headers: Sequence[str]) -> list[str]:
    return ["row_number", "column", "value", "reason", *headers]


def error_lines(entry: Mapping[str, Any]) -> Iterator[list[Any]]:
    """One line per reason a ledger entry gives, each followed by the original (masked) row."""
    cells = entry.get("cells") or []
    for error in entry.get("errors") or [
        {"column": "", "value": "", "reason": entry.get("reason", "")}
    ]:
        yield [
            entry["row_number"],
            error.get("column") or "",
            error.get("value") or "",
            error.get("reason") or "",
            *cells,
        ]


class ExportLayout:
    """Which columns of the file the export repeats beside each row's outcome."""

    def __init__(self, headers: Sequence[str], mapping: Mapping[int, str]) -> None:
        by_field = {f: i for i, f in mapping.items() if f in EXPORT_FIELDS}
        self.columns = [(by_field[f], f) for f in EXPORT_FIELDS if f in by_field]
        self.header = [
            "row_number",
            "outcome",
            "contact_id",
            "reason",
            *(headers[i] if i < len(headers) else f for i, f in self.columns),
        ]

    def line(
        self, row_number: int, cells: Sequence[str | None] | None, outcome: Mapping[str, Any] | None
    ) -> list[Any]:
        keys: list[str] = []
        for index, field in self.columns:
            value = (cells[index] if cells is not None and index < len(cells) else None) or ""
            keys.append(mask(value) if value and field in SENSITIVE_FIELDS else value)
        if outcome is None:
            return [row_number, NOT_PROCESSED, "", "", *keys]
        return [
            row_number,
            outcome["status"],
            outcome.get("record_id") or "",
            outcome.get("reason") or "",
            *keys,
        ]
