"""XLSX and ODS sheets read row by row (adapters/spreadsheets.py, through the reader)."""

import zipfile
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from listflow.ingest.adapters import spreadsheets
from listflow.ingest.adapters.reader import FileRejected, ReadLimits, iter_row_batches, sniff

ODS_MIME = "application/vnd.oasis.opendocument.spreadsheet"
_NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"'
)


def write_ods(path: Path, tables: str) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", ODS_MIME)
        archive.writestr(
            "content.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {_NS}>'
            f"<office:body><office:spreadsheet>{tables}</office:spreadsheet></office:body>"
            "</office:document-content>",
        )
    return path


def cell(text: str) -> str:
    return (
        f'<table:table-cell office:value-type="string"><text:p>{text}</text:p></table:table-cell>'
    )


def test_an_ods_sheet_is_read_with_its_types_and_repeats_without_expanding_blanks(
    tmp_path: Path,
) -> None:
    rows = (
        f"<table:table-row>{cell('Phone')}{cell('Name')}{cell('Born')}</table:table-row>"
        '<table:table-row><table:table-cell office:value-type="float" office:value="4155552671">'
        "<text:p>4155552671</text:p></table:table-cell>"
        + cell('Ann<text:s text:c="2"/>Lee')
        + '<table:table-cell office:value-type="date" office:date-value="1960-01-14">'
        "<text:p>14/01/1960</text:p></table:table-cell>"
        '<table:table-cell table:number-columns-repeated="16000"/></table:table-row>'
        f'<table:table-row table:number-rows-repeated="2">{cell("+12125550142")}{cell("Bo")}'
        "</table:table-row>"
        '<table:table-row table:number-rows-repeated="1048000">'
        '<table:table-cell table:number-columns-repeated="1024"/></table:table-row>'
    )
    other = f"<table:table-row>{cell('x')}</table:table-row>"
    path = write_ods(
        tmp_path / "list.ods",
        f'<table:table table:name="Other">{other}</table:table>'
        f'<table:table table:name="Leads">{rows}</table:table>',
    )
    assert spreadsheets.sheet_names(path, "ods") == ["Other", "Leads"]
    sniffed = sniff(path, sheet="Leads")
    assert sniffed.format == "ods"
    assert sniffed.headers == ["Phone", "Name", "Born"]
    batches = list(iter_row_batches(path, sniffed))
    assert [r for b in batches for r in b] == [
        (1, ["4155552671", "Ann  Lee", "1960-01-14"]),
        (2, ["+12125550142", "Bo", None]),
        (3, ["+12125550142", "Bo", None]),
    ]


def test_an_ods_sheet_that_is_not_there_is_named(tmp_path: Path) -> None:
    path = write_ods(tmp_path / "list.ods", '<table:table table:name="A"></table:table>')
    with pytest.raises(FileRejected, match="no sheet 'B'"):
        sniff(path, sheet="B")


def test_xlsx_shared_strings_spooled_to_disk_read_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(spreadsheets, "IN_MEMORY_STRINGS_BYTES", 10)
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Phone", "Name", "Born"])
    sheet.append(["+12125550142", "Ann", date(1960, 1, 14)])
    sheet.append([4155552671, "Ñandú", None])
    path = tmp_path / "list.xlsx"
    book.save(path)
    # openpyxl writes inline strings; move them into a shared-strings table as Excel has them.
    rows = list(spreadsheets.sheet_rows(path, "xlsx", sheet.title, 500))
    assert rows[1][:2] == ["+12125550142", "Ann"]
    assert rows[1][2].date() == date(1960, 1, 14)
    assert rows[2][:2] == [4155552671, "Ñandú"]


def test_an_xlsx_row_past_the_column_limit_is_refused_without_building_it(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Phone", "Name"])
    sheet.cell(row=2, column=16000, value="far")
    path = tmp_path / "wide.xlsx"
    book.save(path)
    rows = list(spreadsheets.sheet_rows(path, "xlsx", sheet.title, 10))
    assert len(rows[1]) == 11
    with pytest.raises(FileRejected, match="more than 10 columns"):
        sniff(path, limits=ReadLimits(max_columns=10))
