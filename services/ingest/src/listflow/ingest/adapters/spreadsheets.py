"""Spreadsheets read as a stream: XLSX and ODS sheets row by row, in the memory of one row.

XLSX goes through openpyxl (its workbook, style and cell parsing) with two changes that keep
a million-row sheet in bounded memory: the shared-strings table, which openpyxl loads whole
into a list (Excel writes every text cell there), is spooled to a temporary file and read by
offset when it is large; and the sheet's rows are taken off the parsed tree as they are read
(openpyxl clears each row but leaves it attached, ~90 bytes a row that never go away).

ODS has no streaming reader on PyPI (odfpy and calamine build the whole document), so its
`content.xml` is parsed here with the standard library's incremental parser, straight out of
the zip. Both are parsed through defusedxml (no entity expansion, no external entities); the
zip's inflated size is bounded by `check_zip_expansion` before either format is opened.
"""

import os
import tempfile
import zipfile
from array import array
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any
from xml.etree.ElementTree import Element

from defusedxml.ElementTree import iterparse
from openpyxl.reader.excel import ExcelReader
from openpyxl.styles.stylesheet import apply_stylesheet
from openpyxl.utils.cell import column_index_from_string
from openpyxl.utils.datetime import from_excel
from openpyxl.worksheet._reader import _cast_number
from openpyxl.xml.constants import SHARED_STRINGS, SHEET_MAIN_NS

__all__ = ["SpreadsheetError", "sheet_names", "sheet_rows"]

# A shared-strings part up to this size (inflated XML) is read into a list, as openpyxl does;
# a larger one is spooled to disk.
IN_MEMORY_STRINGS_BYTES = 8 * 1024 * 1024

_MAIN = f"{{{SHEET_MAIN_NS}}}"
_SI, _ROW, _SHEET_DATA = f"{_MAIN}si", f"{_MAIN}row", f"{_MAIN}sheetData"

_TABLE_NS = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_TEXT_NS = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
_OFFICE_NS = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
_TABLE = f"{{{_TABLE_NS}}}table"
_TABLE_ROW = f"{{{_TABLE_NS}}}table-row"
_CELLS = (f"{{{_TABLE_NS}}}table-cell", f"{{{_TABLE_NS}}}covered-table-cell")
_TABLE_NAME = f"{{{_TABLE_NS}}}name"
_ROWS_REPEATED = f"{{{_TABLE_NS}}}number-rows-repeated"
_COLUMNS_REPEATED = f"{{{_TABLE_NS}}}number-columns-repeated"
_VALUE_TYPE = f"{{{_OFFICE_NS}}}value-type"
_VALUE = f"{{{_OFFICE_NS}}}value"
_DATE_VALUE = f"{{{_OFFICE_NS}}}date-value"
_TIME_VALUE = f"{{{_OFFICE_NS}}}time-value"
_BOOLEAN_VALUE = f"{{{_OFFICE_NS}}}boolean-value"
_P = f"{{{_TEXT_NS}}}p"
_S = f"{{{_TEXT_NS}}}s"
_TAB = f"{{{_TEXT_NS}}}tab"
_LINE_BREAK = f"{{{_TEXT_NS}}}line-break"
_SPACES = f"{{{_TEXT_NS}}}c"


class SpreadsheetError(ValueError):
    """The workbook cannot be read; the message says why."""


def sheet_names(path: Path, file_format: str) -> list[str]:
    """The sheets of an XLSX or ODS workbook, in order."""
    if file_format == "xlsx":
        reader = _open_xlsx(path, spool_strings=False)
        try:
            return list(reader.sheets)
        finally:
            reader.close()
    return list(_ods_sheet_names(path))


def sheet_rows(path: Path, file_format: str, sheet: str, width_limit: int) -> Iterator[list[Any]]:
    """The rows of one sheet as lists of cell values (str, int, float, bool, date, datetime or
    None), blank rows included; a row is never wider than `width_limit` + 1 cells."""
    if file_format == "xlsx":
        return _xlsx_rows(path, sheet, width_limit)
    return _ods_rows(path, sheet, width_limit)


# --- XLSX ----------------------------------------------------------------------------------


class _SpooledStrings:
    """A shared-strings table kept in a temporary file: offsets in memory, text on disk."""

    def __init__(self, directory: Path) -> None:
        self._file: IO[bytes] = tempfile.TemporaryFile(dir=directory)  # noqa: SIM115 (closed by close())
        self._offsets = array("q", [0])
        self._end = 0

    def append(self, text: str) -> None:
        data = text.encode("utf-8", "surrogatepass")
        self._file.write(data)
        self._end += len(data)
        self._offsets.append(self._end)

    def __getitem__(self, index: int) -> str:
        self._file.flush()  # a no-op unless a string was appended since the last read
        start, end = self._offsets[index], self._offsets[index + 1]
        data = os.pread(self._file.fileno(), end - start, start)
        return data.decode("utf-8", "surrogatepass")

    def close(self) -> None:
        self._file.close()


class _LazyStrings:
    """The shared-strings table read only as far as the cells have asked: Excel writes it in
    the order cells first use a string, so the sheet and the table are read side by side, and
    the first rows of a million-row sheet (a sniff, a date scan) cost what a small one does."""

    def __init__(self, source: IO[bytes], store: "_SpooledStrings | list[str]") -> None:
        self._source = source
        self._strings = _shared_strings(source)
        self._store = store
        self._count = 0

    def __getitem__(self, index: int) -> str:
        while self._count <= index:
            text = next(self._strings, None)
            if text is None:
                raise KeyError(f"no shared string {index}")
            self._store.append(text)
            self._count += 1
        return self._store[index]

    def close(self) -> None:
        self._source.close()


class _StreamingExcelReader(ExcelReader):
    """openpyxl's workbook reader, reading only what rows need (manifest, shared strings,
    workbook, styles for dates, where each sheet is), with the shared strings spooled to disk
    when they are many. Its read-only worksheets are not made: each scans its whole sheet for
    the dimensions when the sheet does not state them."""

    def __init__(self, path: Path, *, spool_strings: bool) -> None:
        # A file object, not a name: openpyxl refuses names without an .xlsx suffix, and a
        # spooled upload has none.
        self._stream = path.open("rb")
        try:
            super().__init__(self._stream, read_only=True, data_only=True)
        except BaseException:
            self._stream.close()
            raise
        self._path = path
        self._spool = spool_strings
        self.spooled: _SpooledStrings | None = None
        self.sheets: dict[str, str] = {}

    def read(self) -> None:
        self.read_manifest()
        self.read_workbook()
        self.sheets = {
            sheet.name: rel.target
            for sheet, rel in self.parser.find_sheets()
            if rel.target in self.valid_files and "chartsheet" not in rel.Type
        }

    def read_rows_support(self) -> None:
        """What reading cells needs beyond the sheet list: shared strings and date styles."""
        self.read_strings()
        apply_stylesheet(self.archive, self.wb)

    def read_strings(self) -> None:
        part = self.package.find(SHARED_STRINGS)
        if part is None:
            return
        name = part.PartName[1:]
        spool = self._spool and self.archive.getinfo(name).file_size > IN_MEMORY_STRINGS_BYTES
        store: _SpooledStrings | list[str] = _SpooledStrings(self._path.parent) if spool else []
        if isinstance(store, _SpooledStrings):
            self.spooled = store
        self.shared_strings = _LazyStrings(self.archive.open(name), store)

    def close(self) -> None:
        if isinstance(self.shared_strings, _LazyStrings):
            self.shared_strings.close()
        self.archive.close()
        if self.spooled is not None:
            self.spooled.close()
        self._stream.close()


_T, _R = f"{_MAIN}t", f"{_MAIN}r"


def _shared_strings(source: IO[bytes]) -> Iterator[str]:
    # As openpyxl's read_string_table (plain text and rich-text runs, not phonetic runs), at
    # a fifth of its cost, and each string dropped from the tree once read.
    root: Element | None = None
    for event, node in iterparse(source, events=("start", "end")):
        if root is None:
            root = node
        elif event == "end" and node.tag == _SI:
            yield _rich_text(node).replace("x005F_", "")
            root.clear()


def _open_xlsx(path: Path, *, spool_strings: bool) -> _StreamingExcelReader:
    try:
        reader = _StreamingExcelReader(path, spool_strings=spool_strings)
    except Exception as error:  # openpyxl raises many kinds for a damaged workbook
        raise SpreadsheetError(f"the spreadsheet cannot be read: {error}") from None
    try:
        reader.read()
    except Exception as error:
        reader.close()
        raise SpreadsheetError(f"the spreadsheet cannot be read: {error}") from None
    return reader


def _xlsx_rows(path: Path, sheet: str, width_limit: int) -> Iterator[list[Any]]:
    reader = _open_xlsx(path, spool_strings=True)
    try:
        if sheet not in reader.sheets:
            raise SpreadsheetError(f"the workbook has no sheet {sheet!r}")
        try:
            reader.read_rows_support()
        except Exception as error:  # openpyxl raises many kinds for a damaged workbook
            raise SpreadsheetError(f"the spreadsheet cannot be read: {error}") from None
        cells = _CellReader(
            reader.shared_strings, reader.wb.epoch, set(reader.wb._date_formats), width_limit
        )
        with reader.archive.open(reader.sheets[sheet]) as source:
            data: Element | None = None
            for event, element in iterparse(source, events=("start", "end")):
                if event == "start":
                    if element.tag == _SHEET_DATA:
                        data = element
                    continue
                if element.tag != _ROW:
                    continue
                values = cells.row(element)
                if data is not None:
                    data.clear()  # the row is read: nothing of it stays in the tree
                yield values
    except SpreadsheetError:
        raise
    except (zipfile.BadZipFile, OSError, EOFError, SyntaxError, KeyError, ValueError) as error:
        raise SpreadsheetError(f"sheet {sheet!r} cannot be read: {error}") from None
    finally:
        reader.close()


_C, _V, _IS = f"{_MAIN}c", f"{_MAIN}v", f"{_MAIN}is"


class _CellReader:
    """The values of a sheet row's cells, by the rules of openpyxl's WorkSheetParser.parse_cell
    (types, shared strings, inline strings, dates by number format) without building its
    per-cell dictionaries and coordinates, which cost ~4x the XML parse itself (~45 us a cell
    on this machine, against ~10 us here)."""

    def __init__(self, strings: Any, epoch: Any, date_styles: set[int], width_limit: int) -> None:
        self._strings = strings
        self._epoch = epoch
        self._date_styles = date_styles
        self._width_limit = width_limit
        self._columns: dict[str, int] = {}

    def row(self, element: Element) -> list[Any]:
        values: list[Any] = []
        for cell in element:
            if cell.tag != _C:
                continue
            ref = cell.get("r")
            column = self._column(ref) if ref else len(values) + 1
            value = self._value(cell)
            if value is None:
                continue
            if column > self._width_limit + 1:
                # Too wide: one cell past the limit is enough for the caller to say so.
                column = self._width_limit + 1
            if column > len(values) + 1:
                values.extend([None] * (column - 1 - len(values)))
            values.append(value)
            if column > self._width_limit:
                break
        return values

    def _column(self, ref: str) -> int:
        letters = ref.rstrip("0123456789")
        column = self._columns.get(letters)
        if column is None:
            column = column_index_from_string(letters)
            if len(self._columns) < 20_000:
                self._columns[letters] = column
        return column

    def _value(self, cell: Element) -> Any:
        kind = cell.get("t", "n")
        if kind == "inlineStr":
            inline = cell.find(_IS)
            return None if inline is None else _rich_text(inline)
        text = cell.findtext(_V)
        if text is None or text == "":
            return None
        if kind == "s":
            return self._strings[int(text)]
        if kind == "n":
            number = _cast_number(text)
            style = cell.get("s")
            if style and int(style) in self._date_styles:
                try:
                    return from_excel(number, self._epoch)
                except (OverflowError, ValueError):
                    return "#VALUE!"
            return number
        if kind == "b":
            return text not in ("0", "")
        return text  # "str" (a formula's text), "e" (an error such as #N/A), "d" (ISO 8601)


def _rich_text(node: Element) -> str:
    """A string item's text: its plain text and its rich-text runs, not its phonetic runs."""
    return "".join(
        (child.text or "") if child.tag == _T else (child.findtext(_T) or "")
        for child in node
        if child.tag == _T or child.tag == _R
    )


# --- ODS -----------------------------------------------------------------------------------


def _content(path: Path) -> tuple[zipfile.ZipFile, IO[bytes]]:
    try:
        archive = zipfile.ZipFile(path)
        return archive, archive.open("content.xml")
    except (zipfile.BadZipFile, KeyError, OSError) as error:
        raise SpreadsheetError(f"the spreadsheet cannot be read: {error}") from None


def _ods_sheet_names(path: Path) -> Iterator[str]:
    archive, source = _content(path)
    with archive, source:
        try:
            for event, element in iterparse(source, events=("start", "end")):
                if event == "start" and element.tag == _TABLE:
                    yield element.get(_TABLE_NAME, "")
                elif event == "end" and element.tag == _TABLE_ROW:
                    element.clear()
        except SyntaxError as error:
            raise SpreadsheetError(f"the spreadsheet cannot be read: {error}") from None


def _ods_rows(path: Path, sheet: str, width_limit: int) -> Iterator[list[Any]]:
    archive, source = _content(path)
    with archive, source:
        table: Element | None = None
        found = False
        try:
            for event, element in iterparse(source, events=("start", "end")):
                if event == "start":
                    if element.tag == _TABLE:
                        table = element if element.get(_TABLE_NAME) == sheet else None
                        found = found or table is not None
                    continue
                if element.tag == _TABLE and table is not None:
                    return  # the chosen sheet has ended
                if element.tag != _TABLE_ROW:
                    continue
                if table is None:
                    element.clear()  # a row of another sheet
                    continue
                values = _ods_row(element, width_limit)
                repeated = int(element.get(_ROWS_REPEATED, "1"))
                table.clear()  # the row is read: nothing of it stays in the tree
                if not values:
                    # Blank rows (often "repeated" a million times to the sheet's end) are not
                    # data: never expanded.
                    yield []
                    continue
                for _ in range(repeated):
                    yield values
        except (SyntaxError, ValueError) as error:
            raise SpreadsheetError(f"sheet {sheet!r} cannot be read: {error}") from None
        if not found:
            raise SpreadsheetError(f"the workbook has no sheet {sheet!r}")


def _ods_row(row: Element, width_limit: int) -> list[Any]:
    values: list[Any] = []
    blanks = 0  # empty cells not yet placed: trailing ones are never expanded
    for cell in row:
        if cell.tag not in _CELLS:
            continue
        repeated = int(cell.get(_COLUMNS_REPEATED, "1"))
        value = _ods_value(cell)
        if value is None:
            blanks += repeated
            continue
        if len(values) + blanks >= width_limit:
            # Too wide: one cell past the limit is enough for the caller to say so.
            values.extend([None] * (width_limit - len(values)))
            values.append(value)
            break
        values.extend([None] * blanks)
        blanks = 0
        values.extend([value] * min(repeated, width_limit + 1 - len(values)))
    return values[: width_limit + 1]


def _ods_value(cell: Element) -> Any:
    kind = cell.get(_VALUE_TYPE)
    if kind in ("float", "percentage", "currency"):
        number = cell.get(_VALUE)
        if number is not None:
            value = float(number)
            return int(value) if value.is_integer() and "." not in number else value
    elif kind == "date":
        return cell.get(_DATE_VALUE)  # ISO 8601 already, as the sheet stores it
    elif kind == "time":
        return cell.get(_TIME_VALUE)
    elif kind == "boolean":
        return cell.get(_BOOLEAN_VALUE) == "true"
    paragraphs = [_text(p) for p in cell if p.tag == _P]
    text = "\n".join(paragraphs)
    return text or None


def _text(element: Element) -> str:
    parts = [element.text or ""]
    for child in element:
        if child.tag == _S:
            parts.append(" " * int(child.get(_SPACES, "1")))
        elif child.tag == _TAB:
            parts.append("\t")
        elif child.tag == _LINE_BREAK:
            parts.append("\n")
        else:
            parts.append(_text(child))
        parts.append(child.tail or "")
    return "".join(parts)
