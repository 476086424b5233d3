"""Large spreadsheets written as a stream, for the bounded-memory tests.

openpyxl's write-only mode takes ~100 s for a million rows on this machine; writing the
sheet's XML straight into the zip takes a few seconds. The parts are the ones Excel writes,
text in the shared-strings table as Excel keeps it (`shared=True`), or inline.
"""

import zipfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from xml.sax.saxutils import escape

_OOXML = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    f'<Override PartName="/xl/workbook.xml" ContentType="{_OOXML}.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    f'ContentType="{_OOXML}.worksheet+xml"/>'
    "{shared}"
    "</Types>"
)
_SHARED_TYPE = (
    '<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    "{shared}</Relationships>"
)
_SHARED_REL = (
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/sharedStrings" Target="sharedStrings.xml"/>'
)
_SHEET_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
)
_SHEET_TAIL = b"</sheetData></worksheet>"
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def write_xlsx(
    path: Path, rows: Callable[[], Iterable[Sequence[str]]], *, shared: bool = True
) -> None:
    """An XLSX of one sheet whose cells are the texts `rows()` yields, written as a stream.
    With `shared`, every text is an entry of the shared-strings table (`rows` is called twice:
    once for the table, once for the sheet)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        if shared:
            with archive.open("xl/sharedStrings.xml", "w", force_zip64=True) as table:
                table.write(
                    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                    b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                )
                chunk: list[str] = []
                for row in rows():
                    chunk.extend(f"<si><t>{escape(text)}</t></si>" for text in row)
                    if len(chunk) >= 10_000:
                        table.write("".join(chunk).encode())
                        chunk = []
                table.write("".join(chunk).encode())
                table.write(b"</sst>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(_SHEET_HEAD)
            lines: list[str] = []
            index = 0
            for number, row in enumerate(rows(), start=1):
                cells = []
                for column, text in enumerate(row):
                    ref = f"{_LETTERS[column]}{number}"
                    if shared:
                        cells.append(f'<c r="{ref}" t="s"><v>{index}</v></c>')
                        index += 1
                    else:
                        cells.append(
                            f'<c r="{ref}" t="inlineStr"><is><t>{escape(text)}</t></is></c>'
                        )
                lines.append(f'<row r="{number}">{"".join(cells)}</row>')
                if len(lines) >= 10_000:
                    sheet.write("".join(lines).encode())
                    lines = []
            sheet.write("".join(lines).encode())
            sheet.write(_SHEET_TAIL)
        kind = _SHARED_TYPE if shared else ""
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES.format(shared=kind))
        archive.writestr("_rels/.rels", _RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK)
        relation = _SHARED_REL if shared else ""
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS.format(shared=relation))
