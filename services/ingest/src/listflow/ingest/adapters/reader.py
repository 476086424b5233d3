"""Reading uploaded list files: format, encoding and dialect detection, then rows in batches.
An adapter: it opens files, zip archives and workbooks; what it yields is domain
(listflow.ingest.domain.file_rows)."""

import codecs
import csv
import io
import re
import zipfile
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from itertools import islice
from pathlib import Path

import charset_normalizer
from listflow.ingest.adapters import spreadsheets
from listflow.ingest.domain.date_orders import SCAN_ROWS, DateScan
from listflow.ingest.domain.fields import is_known_header
from listflow.ingest.domain.file_rows import (
    BrokenRow,
    Dialect,
    FileRejected,
    OversizedRow,
    RaggedRow,
    ReadLimits,
    Row,
    Sniffed,
)
from python_calamine import CalamineWorkbook

__all__ = [
    "BrokenRow",
    "Dialect",
    "FileRejected",
    "OversizedRow",
    "RaggedRow",
    "ReadLimits",
    "Row",
    "Sniffed",
    "check_zip_expansion",
    "iter_row_batches",
    "scan_dates",
    "sniff",
]

SAMPLE_BYTES = 64 * 1024
DEFAULT_LIMITS = ReadLimits()
_CHUNK_BYTES = 1024 * 1024
DELIMITERS = (",", ";", "\t", "|")
SPREADSHEET_FORMATS = ("xlsx", "xlsb", "xls", "ods")
STREAMED_FORMATS = ("xlsx", "ods")

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_OTHER_MAGIC = (
    (b"%PDF", "a PDF document"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"PK\x05\x06", "an empty zip archive"),
)
_SUPPORTED = "upload CSV/TXT, XLSX, XLS or ODS"
# Languages whose Windows code page is 1250 rather than 1252; decides between the two when
# a short sample decodes equally well in both.
_CENTRAL_EUROPEAN = frozenset(
    {"Czech", "Slovak", "Polish", "Hungarian", "Croatian", "Slovene", "Romanian", "Serbian"}
)
_WESTERN_PREFERENCE = ("cp1252", "iso8859-15", "latin-1", "cp1250", "iso8859-2")
_CENTRAL_PREFERENCE = ("cp1250", "iso8859-2", "cp1252", "iso8859-15", "latin-1")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\ufffd]")
_DATA_LIKE = re.compile(r"[+(]?\d[\d\s().,/:\-]*|[^@\s]+@[^@\s]+\.[^@\s]+")


@dataclass(frozen=True, slots=True)
class _Overlong:
    """A record read whole whose cell at `index` is longer than the limit; `cells` has every
    such cell cut to the limit (enough for a preview's sample)."""

    index: int
    length: int
    cells: list[str]


def sniff(
    path: Path,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    quote: str | None = None,
    header: bool | None = None,
    sheet: str | None = None,
    sample_size: int = 20,
    limits: ReadLimits = DEFAULT_LIMITS,
) -> Sniffed:
    """Detect format, encoding, delimiter and header row, and read the first rows."""
    with open(path, "rb") as stream:
        head = stream.read(SAMPLE_BYTES)
    if not head:
        raise FileRejected("the file is empty")
    file_format = _detect_format(path, head)
    if head.startswith(_ZIP_MAGIC):
        check_zip_expansion(path, limits.max_uncompressed_bytes)
    if file_format == "csv":
        chosen = _encoding_argument(encoding, head) if encoding else _detect_encoding(path, head)
        text = _decode_sample(head, chosen, complete=len(head) < SAMPLE_BYTES)
        if not text.strip():
            raise FileRejected("the file is empty")
        _reject_binary(text)
        quote_char = '"' if quote is None else quote
        delimiter_char = (
            _delimiter_argument(delimiter) if delimiter else _detect_delimiter(text, quote_char)
        )
        dialect = Dialect(chosen, delimiter_char, quote_char, header=True)
        read = list(islice(_text_records(path, dialect, limits), sample_size + 1))
        sheet_name = None
        sheets: list[str] = []
    else:
        sheets = _sheet_names(path, file_format)
        sheet_name = _chosen_sheet(sheets, sheet)
        read = list(islice(_sheet_records(path, file_format, sheet_name, limits), sample_size + 1))
        dialect = Dialect("", "", "", header=True)
    if read and isinstance(read[0], _Overlong):
        raise FileRejected(
            f"the first row has a cell longer than {limits.max_cell_chars} characters"
        )
    # A sample row with an overlong cell shows it cut short; the import reports the row.
    records = [r.cells if isinstance(r, _Overlong) else r for r in read]
    if not records:
        raise FileRejected("the file is empty")
    has_header = _looks_like_header(records) if header is None else header
    if has_header:
        headers = _header_names(records[0])
        data = records[1:]
    else:
        headers = [f"column_{i + 1}" for i in range(max(len(r) for r in records))]
        data = records[:sample_size]
    if len(headers) > limits.max_columns:
        raise FileRejected(
            f"the file has {len(headers)} columns; at most {limits.max_columns} are allowed"
        )
    if not data:
        raise FileRejected("the file has a header but no data rows")
    width = len(headers)
    samples: list[list[str | None]] = [
        [c or None for c in r[:width]] + [None] * (width - len(r)) for r in data
    ]
    return Sniffed(
        dialect=Dialect(dialect.encoding, dialect.delimiter, dialect.quote, has_header),
        headers=headers,
        sample_rows=samples,
        format=file_format,
        sheet=sheet_name,
        sheets=tuple(sheets),
    )


def iter_row_batches(
    path: Path,
    sniffed: Sniffed,
    *,
    batch_rows: int = 5000,
    limits: ReadLimits = DEFAULT_LIMITS,
) -> Iterator[list[Row | BrokenRow]]:
    """Batches of (row_number, cells) or a `BrokenRow`; row numbers count non-blank data rows.

    Rows shorter than the header are padded with None. Rows longer than the header are
    yielded as `RaggedRow` so that the caller can report them, unless the surplus cells are
    all empty (a trailing delimiter), which are dropped. A row with a cell over the limit is
    yielded as `OversizedRow`: the rest of the file still imports.
    """
    if sniffed.format == "csv":
        records = _text_records(path, sniffed.dialect, limits)
    else:
        records = _sheet_records(path, sniffed.format, sniffed.sheet, limits)
    if sniffed.dialect.header:
        next(records, None)
    width = len(sniffed.headers)
    batch: list[Row | BrokenRow] = []
    for number, record in enumerate(records, start=1):
        if isinstance(record, _Overlong):
            column = (
                sniffed.headers[record.index]
                if record.index < width
                else f"column_{record.index + 1}"
            )
            batch.append(OversizedRow(number, column, record.length, limits.max_cell_chars))
            if len(batch) >= batch_rows:
                yield batch
                batch = []
            continue
        found = len(record)
        if found == width:
            batch.append((number, [c or None for c in record]))
        elif found < width:
            batch.append((number, [c or None for c in record] + [None] * (width - found)))
        else:
            used = found
            while used > width and not record[used - 1].strip():
                used -= 1
            if used > width:
                batch.append(RaggedRow(number, width, used))
            else:
                batch.append((number, [c or None for c in record[:width]]))
        if len(batch) >= batch_rows:
            yield batch
            batch = []
    if batch:
        yield batch


def scan_dates(path: Path, sniffed: Sniffed, *, limits: ReadLimits = DEFAULT_LIMITS) -> DateScan:
    """What the first rows of the file say of the order of its date columns (those where a
    sampled value looks like a date): read until every such column is settled by its values,
    or `SCAN_ROWS` rows."""
    scan = DateScan.of_sample(sniffed.sample_rows)
    if not scan.candidates:
        return scan
    read = 0
    try:
        for batch in iter_row_batches(path, sniffed, batch_rows=1000, limits=limits):
            for item in batch:
                if isinstance(item, tuple):
                    scan.add(item[1])
            read += len(batch)
            if read >= SCAN_ROWS or scan.settled:
                break
    except FileRejected:
        pass  # the import reports what is wrong with the file; the rows read so far stand
    return scan


# Text files are parsed with the csv module, not pyarrow's streaming reader: with quoted
# newlines allowed, pyarrow reports ragged rows without their position and drops them from
# the batch, so the row numbers of everything after them would be wrong. Validation, not
# parsing, bounds the throughput (csv reads ~500k rows/s), so correctness wins.
def _text_records(
    path: Path, dialect: Dialect, limits: ReadLimits
) -> Iterator[list[str] | _Overlong]:
    line_limit = limits.max_columns * (limits.max_cell_chars + 3)
    # csv's own bound on a cell is the line's: a cell over our limit in a record that ends
    # is one broken row, reported as such; csv's bound stops a quote left open (whose cell
    # would run to the end of the file). Process-wide, but only ever raised.
    if line_limit > csv.field_size_limit():
        csv.field_size_limit(line_limit)
    try:
        stream = open(path, encoding=dialect.encoding, newline="")  # noqa: SIM115
    except LookupError:
        raise FileRejected(f"unknown encoding {dialect.encoding!r}") from None
    with stream:
        reader = csv.reader(
            _bounded_lines(stream, line_limit),
            delimiter=dialect.delimiter,
            quotechar=dialect.quote or None,
            quoting=csv.QUOTE_MINIMAL if dialect.quote else csv.QUOTE_NONE,
        )
        ended = 0  # the line the last record ended on: the next one starts after it
        try:
            for record in reader:
                started, ended = ended + 1, reader.line_num
                joined = "".join(record)
                if not joined or joined.isspace():
                    continue
                if "\x00" in joined:
                    # NUL cannot be stored (FerretDB refuses it in strings) and is never data.
                    record = [c.replace("\x00", "") for c in record]
                if len(joined) > limits.max_cell_chars:
                    overlong = _overlong(record, limits)
                    if overlong is not None:
                        if "\n" in record[overlong.index] or "\r" in record[overlong.index]:
                            raise FileRejected(
                                f"line {started}: a cell is longer than "
                                f"{limits.max_cell_chars} characters (is a quote left open?)"
                            )
                        yield overlong
                        continue
                yield record
        except csv.Error as error:
            if "field larger than field limit" in str(error):
                raise FileRejected(
                    f"line {ended + 1}: a cell is longer than "
                    f"{limits.max_cell_chars} characters (is a quote left open?)"
                ) from None
            raise FileRejected(
                f"line {reader.line_num}: the file is not valid CSV: {error}"
            ) from None
        except UnicodeError:
            raise FileRejected(
                f"near line {reader.line_num + 1}: the file is not valid {dialect.encoding}; "
                "save it as UTF-8 or choose its encoding"
            ) from None


def _bounded_lines(stream: io.TextIOBase, limit: int) -> Iterator[str]:
    while line := stream.readline(limit):
        if len(line) >= limit and not line.endswith(("\n", "\r")):
            raise FileRejected(f"a line is longer than {limit} characters")
        yield line


def _overlong(cells: Sequence[str], limits: ReadLimits) -> _Overlong | None:
    limit = limits.max_cell_chars
    for index, cell in enumerate(cells):
        if len(cell) > limit:
            return _Overlong(index, len(cell), [c[:limit] for c in cells])
    return None


def _detect_format(path: Path, head: bytes) -> str:
    if head.startswith(_ZIP_MAGIC):
        try:
            with zipfile.ZipFile(path) as archive:
                names = set(archive.namelist())
                mimetype = archive.read("mimetype") if "mimetype" in names else b""
        except (zipfile.BadZipFile, OSError):
            raise FileRejected("the file looks like a spreadsheet but is damaged") from None
        if "xl/workbook.xml" in names:
            return "xlsx"
        if "xl/workbook.bin" in names:
            return "xlsb"
        if mimetype.strip() == b"application/vnd.oasis.opendocument.spreadsheet":
            return "ods"
        raise FileRejected(f"unsupported format: a zip archive; {_SUPPORTED}")
    if head.startswith(_OLE_MAGIC):
        return "xls"
    for magic, what in _OTHER_MAGIC:
        if head.startswith(magic):
            raise FileRejected(f"unsupported format: {what}; {_SUPPORTED}")
    return "csv"


def check_zip_expansion(path: Path, limit: int) -> None:
    """Refuse a zip (XLSX, ODS) that would inflate beyond `limit` bytes, before calamine opens it.

    The declared sizes are checked first (a plain zip bomb stops here without inflating
    anything); then every entry is inflated in chunks and counted, because the declared sizes
    can lie: zipfile stops at the declared size and a forged entry then fails its CRC check.
    """
    refused = FileRejected(
        f"the spreadsheet expands to more than {limit:,} bytes when unpacked "
        "(a compressed-size bomb, or too large a workbook); split it or save it as CSV"
    )
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
            if sum(e.file_size for e in entries) > limit:
                raise refused
            inflated = 0
            for entry in entries:
                with archive.open(entry) as member:
                    while chunk := member.read(_CHUNK_BYTES):
                        inflated += len(chunk)
                        if inflated > limit:
                            raise refused
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, RuntimeError):
        raise FileRejected("the file looks like a spreadsheet but is damaged") from None


def _encoding_argument(encoding: str, head: bytes) -> str:
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        raise FileRejected(f"unknown encoding {encoding!r}") from None
    # Excel's "CSV UTF-8" starts with a BOM that would otherwise end up in the first header.
    return "utf-8-sig" if name == "utf-8" and head.startswith(codecs.BOM_UTF8) else name


def _detect_encoding(path: Path, head: bytes) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "utf-32"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if b"\x00" in head:
        return _utf16_without_bom(head)
    complete = len(head) < SAMPLE_BYTES
    if _is_utf8(head, complete):
        bad_offset = None if complete else _first_non_utf8_offset(path)
        if bad_offset is None:
            return "utf-8"
        # Plain ASCII at the start says nothing; judge by the bytes that broke UTF-8.
        with open(path, "rb") as stream:
            stream.seek(max(0, bad_offset - SAMPLE_BYTES // 2))
            window = stream.read(SAMPLE_BYTES)
        return _guess_single_byte(window, bad_offset)
    return _guess_single_byte(head, None)


def _utf16_without_bom(head: bytes) -> str:
    even = head[0::2].count(0)
    odd = head[1::2].count(0)
    half = len(head) // 2
    if odd > half * 0.3 and even < half * 0.05:
        return "utf-16-le"
    if even > half * 0.3 and odd < half * 0.05:
        return "utf-16-be"
    raise FileRejected(f"the file is binary, not a text list; {_SUPPORTED}")


def _is_utf8(data: bytes, complete: bool) -> bool:
    try:
        codecs.getincrementaldecoder("utf-8")().decode(data, final=complete)
    except UnicodeDecodeError:
        return False
    return True


def _first_non_utf8_offset(path: Path) -> int | None:
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = 0
    with open(path, "rb") as stream:
        while chunk := stream.read(_CHUNK_BYTES):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as error:
                return offset + error.start
            offset += len(chunk)
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return offset
    return None


def _guess_single_byte(sample: bytes, bad_offset: int | None) -> str:
    results = list(charset_normalizer.from_bytes(sample))
    if not results:
        where = f" (at byte {bad_offset})" if bad_offset is not None else ""
        raise FileRejected(
            f"the file is not text in any known encoding{where}; {_SUPPORTED}, "
            "or choose its encoding"
        )
    best = results[0]
    tied = [r.encoding for r in results if r.chaos == best.chaos and r.coherence == best.coherence]
    preference = _CENTRAL_PREFERENCE if best.language in _CENTRAL_EUROPEAN else _WESTERN_PREFERENCE
    tied_names = {codecs.lookup(name).name: name for name in tied}
    for name in preference:
        canonical = codecs.lookup(name).name
        if canonical in tied_names:
            return canonical
    return codecs.lookup(best.encoding).name


def _decode_sample(head: bytes, encoding: str, *, complete: bool) -> str:
    try:
        decoder = codecs.getincrementaldecoder(encoding)()
    except LookupError:
        raise FileRejected(f"unknown encoding {encoding!r}") from None
    try:
        return decoder.decode(head, final=complete)
    # UnicodeError too: UTF-16 and UTF-32 without a BOM raise that, not UnicodeDecodeError.
    except UnicodeError:
        raise FileRejected(
            f"the file is not valid {encoding}; save it as UTF-8 or choose its encoding"
        ) from None


def _reject_binary(text: str) -> None:
    controls = len(_CONTROL.findall(text))
    if controls > max(8, len(text) // 100):
        raise FileRejected(f"the file is binary, not a text list; {_SUPPORTED}")


def _delimiter_argument(value: str) -> str:
    named = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}
    delimiter = named.get(value.lower(), value)
    if len(delimiter) != 1:
        raise FileRejected(f"the delimiter must be one character, not {value!r}")
    return delimiter


def _detect_delimiter(text: str, quote: str) -> str:
    best, best_score = ",", (0.0, 0)
    for candidate in DELIMITERS:
        reader = csv.reader(
            io.StringIO(text),
            delimiter=candidate,
            quotechar=quote or None,
            quoting=csv.QUOTE_MINIMAL if quote else csv.QUOTE_NONE,
        )
        try:
            widths = [len(r) for r in islice(reader, 100) if "".join(r).strip()]
        except csv.Error:
            continue
        # The last record of a cut sample may be partial; ignore it when there are others.
        if len(widths) > 2:
            widths = widths[:-1]
        if not widths:
            continue
        width, count = Counter(widths).most_common(1)[0]
        if width < 2:
            continue
        score = (count / len(widths), width)
        if score > best_score:
            best, best_score = candidate, score
    return best


def _looks_like_data(cell: str) -> bool:
    return _DATA_LIKE.fullmatch(cell.strip()) is not None


def _looks_like_header(records: list[list[str]]) -> bool:
    first, rest = records[0], records[1:]
    if not rest or any(is_known_header(cell) for cell in first):
        return True
    data_columns = [i for i, cell in enumerate(first) if _looks_like_data(cell)]
    for i in data_columns:
        below = [r[i] for r in rest if i < len(r) and r[i].strip()]
        if below and sum(map(_looks_like_data, below)) * 2 >= len(below):
            # The first row holds data in a column that holds data throughout.
            return False
    return True


def _header_names(cells: list[str]) -> list[str]:
    names: list[str] = []
    seen: set[str] = set()
    for i, cell in enumerate(cells):
        name = cell.strip() or f"column_{i + 1}"
        unique, n = name, 1
        while unique.casefold() in seen:
            n += 1
            unique = f"{name}_{n}"
        seen.add(unique.casefold())
        names.append(unique)
    return names


def _sheet_name(path: Path, file_format: str, sheet: str | None) -> str:
    return _chosen_sheet(_sheet_names(path, file_format), sheet)


def _chosen_sheet(names: list[str], sheet: str | None) -> str:
    if not names:
        raise FileRejected("the workbook has no sheets")
    if sheet is None:
        return names[0]
    if sheet not in names:
        raise FileRejected(f"the workbook has no sheet {sheet!r}; sheets: {', '.join(names)}")
    return sheet


def _sheet_names(path: Path, file_format: str) -> list[str]:
    if file_format in STREAMED_FORMATS:
        try:
            return spreadsheets.sheet_names(path, file_format)
        except spreadsheets.SpreadsheetError as error:
            raise FileRejected(str(error)) from None
    return list(_open_workbook(path).sheet_names)


def _open_workbook(path: Path) -> CalamineWorkbook:
    try:
        return CalamineWorkbook.from_path(str(path))
    except Exception as error:  # calamine raises its own, unexported, error types
        raise FileRejected(f"the spreadsheet cannot be read: {error}") from None


def _sheet_values(
    path: Path, file_format: str, name: str, limits: ReadLimits
) -> Iterator[Sequence[object]]:
    if file_format in STREAMED_FORMATS:
        # XLSX and ODS are read row by row (adapters/spreadsheets.py).
        try:
            yield from spreadsheets.sheet_rows(path, file_format, name, limits.max_columns)
        except spreadsheets.SpreadsheetError as error:
            raise FileRejected(str(error)) from None
        return
    # XLS and XLSB are read with calamine, which loads a whole sheet: XLS holds at most
    # 65,536 rows, and both are bounded by the upload limit and the zip check.
    workbook = _open_workbook(path)
    try:
        rows = workbook.get_sheet_by_name(name).iter_rows()
    except Exception as error:  # calamine raises its own, unexported, error types
        raise FileRejected(f"sheet {name!r} cannot be read: {error}") from None
    yield from rows


def _sheet_records(
    path: Path, file_format: str, sheet: str | None, limits: ReadLimits
) -> Iterator[list[str] | _Overlong]:
    name = sheet if sheet is not None else _sheet_name(path, file_format, None)
    for line, values in enumerate(_sheet_values(path, file_format, name, limits), start=1):
        cells = [_cell_text(v).replace("\x00", "") for v in values]
        # Formatting can stretch a sheet's used range far to the right; empty cells there are
        # not columns.
        while cells and not cells[-1]:
            cells.pop()
        if not cells or all(not c or c.isspace() for c in cells):
            continue
        if len(cells) > limits.max_columns:
            raise FileRejected(
                f"row {line} of sheet {name!r} has more than {limits.max_columns} columns; "
                f"at most {limits.max_columns} are allowed"
            )
        yield _overlong(cells, limits) or cells


def _cell_text(value: object) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        # Spreadsheets store every number as a float; 4155552671.0 is the phone 4155552671.
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
