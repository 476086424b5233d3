"""Cells of exported files that no spreadsheet evaluates (CSV injection)."""

# A cell starting with one of these is read as a formula (or a command, through DDE) by
# Excel, LibreOffice and Google Sheets; a leading apostrophe makes it plain text.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    """The value as text a spreadsheet shows and never evaluates (None is empty)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text
