"""Cells of exported files that no spreadsheet evaluates (CSV injection) or refuses."""

import re

# A cell starting with one of these is read as a formula (or a command, through DDE) by
# Excel, LibreOffice and Google Sheets; a leading apostrophe makes it plain text.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    """The value as text a spreadsheet shows and never evaluates (None is empty)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


# Characters XML 1.0 (so XLSX) cannot hold at all.
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
# Excel refuses to open a workbook with a longer cell.
XLSX_MAX_CELL = 32767


def xlsx_text(value: object) -> str:
    """For XLSX: text without the control characters XML refuses (cells are typed as text),
    cut to the length Excel opens."""
    return _XML_ILLEGAL.sub("", "" if value is None else str(value))[:XLSX_MAX_CELL]
