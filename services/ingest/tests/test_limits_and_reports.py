import asyncio
import io
import struct
import zipfile
import zlib
from pathlib import Path

import openpyxl
import pytest
from listflow.ingest.adapters.reader import FileRejected, ReadLimits, check_zip_expansion, sniff
from listflow.ingest.domain.reports import (
    NOT_PROCESSED,
    ExportLayout,
    error_lines,
    safe_cell,
    xlsx_text,
)
from listflow.ingest.domain.upload import UploadOptions


def workbook_bytes() -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Phone", "Email"])
    sheet.append(["+14155552671", "ana@example.com"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def bomb(path: Path, inflated: int, *, zip64: bool = True) -> Path:
    """A real workbook whose sheet is padded to `inflated` bytes of blanks (tiny compressed)."""
    source = zipfile.ZipFile(io.BytesIO(workbook_bytes()))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                with target.open(info.filename, "w", force_zip64=zip64) as member:
                    member.write(data)
                    chunk = b" " * (1024 * 1024)
                    for _ in range(inflated // len(chunk)):
                        member.write(chunk)
            else:
                target.writestr(info, data)
    return path


def test_a_workbook_within_the_limit_is_read(tmp_path: Path) -> None:
    path = tmp_path / "ok.xlsx"
    path.write_bytes(workbook_bytes())
    assert sniff(path).headers == ["Phone", "Email"]


def test_a_zip_bomb_is_refused_before_it_is_opened(tmp_path: Path) -> None:
    path = bomb(tmp_path / "bomb.xlsx", 8 * 1024 * 1024)
    assert path.stat().st_size < 100_000
    with pytest.raises(FileRejected, match="expands to more than"):
        sniff(path, limits=ReadLimits(max_uncompressed_bytes=4 * 1024 * 1024))


def test_declared_sizes_that_lie_are_caught_while_inflating(tmp_path: Path) -> None:
    path = bomb(tmp_path / "liar.xlsx", 2 * 1024 * 1024, zip64=False)
    data = bytearray(path.read_bytes())
    name = b"xl/worksheets/sheet1.xml"
    # Declare 1000 bytes in the local header (size at +22) and the central directory (+24).
    for signature, size_at, name_at in ((b"PK\x03\x04", 22, 30), (b"PK\x01\x02", 24, 46)):
        start = 0
        while (start := data.find(signature, start)) >= 0:
            if data[start + name_at : start + name_at + len(name)] == name:
                struct.pack_into("<I", data, start + size_at, 1000)
            start += 4
    path.write_bytes(bytes(data))
    assert zipfile.ZipFile(path).getinfo(name.decode()).file_size == 1000
    with pytest.raises(FileRejected, match="damaged"):
        check_zip_expansion(path, 1024 * 1024)


def test_damaged_zip_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "broken.xlsx"
    good = workbook_bytes()
    path.write_bytes(good[:200] + zlib.compress(b"x") + good[-100:])
    with pytest.raises(FileRejected):
        sniff(path)


def test_csv_cells_that_start_a_formula_are_neutralised() -> None:
    assert safe_cell('=HYPERLINK("http://x")') == '\'=HYPERLINK("http://x")'
    assert safe_cell("+1 415") == "'+1 415"
    assert safe_cell("-5") == "'-5"
    assert safe_cell("@SUM(A1)") == "'@SUM(A1)"
    assert safe_cell("Ana") == "Ana"
    assert safe_cell(None) == ""


def test_xlsx_text_drops_characters_xml_cannot_hold() -> None:
    assert xlsx_text("a\x00b\x07c\td\ne") == "abc\td\ne"
    assert xlsx_text(None) == ""
    assert len(xlsx_text("x" * 40000)) == 32767


def test_error_lines_give_one_line_per_reason_with_the_original_row() -> None:
    entry = {
        "row_number": 7,
        "errors": [
            {"column": "Phone", "value": "12", "reason": "not a phone number"},
            {"column": "Email", "value": "x@", "reason": "not an email address"},
        ],
        "cells": ["12", "x@"],
    }
    assert list(error_lines(entry)) == [
        [7, "Phone", "12", "not a phone number", "12", "x@"],
        [7, "Email", "x@", "not an email address", "12", "x@"],
    ]
    assert list(error_lines({"row_number": 3, "reason": "row has 4 cells"})) == [
        [3, "", "", "row has 4 cells"]
    ]


def test_export_repeats_key_columns_and_masks_national_ids() -> None:
    headers = ["Name", "Notes", "SSN", "Phone"]
    layout = ExportLayout(headers, {0: "first_name", 1: "extra", 2: "ssn", 3: "phone"})
    assert layout.header == [
        "row_number",
        "outcome",
        "contact_id",
        "reason",
        "Name",
        "Phone",
        "SSN",
    ]
    outcome = {"status": "imported", "record_id": "c-1", "reason": None}
    assert layout.line(1, ["Ana", "vip", "123-45-6789", "+1 415"], outcome) == [
        1,
        "imported",
        "c-1",
        "",
        "Ana",
        "+1 415",
        "*******6789",
    ]
    assert layout.line(2, None, None) == [2, NOT_PROCESSED, "", "", "", "", ""]


def test_saved_mapping_is_an_option_and_model_copy_keeps_what_was_set() -> None:
    options = UploadOptions.model_validate({"saved_mapping": "CRM export"})
    resolved = options.model_copy(update={"mapping": {"Tel": "phone"}})
    stored = resolved.model_dump(mode="json", exclude_unset=True)
    assert stored == {
        "saved_mapping": "CRM export",
        "mapping": [{"column": "Tel", "field": "phone"}],
    }
    assert UploadOptions.model_validate(stored).mapping == {"Tel": "phone"}


def test_mapping_keys_that_cannot_be_document_keys_are_stored_as_pairs() -> None:
    options = UploadOptions.model_validate({"mapping": {"Tel.": "phone", "$Mail": "email"}})
    stored = options.model_dump(mode="json", exclude_unset=True)
    assert stored["mapping"] == [
        {"column": "Tel.", "field": "phone"},
        {"column": "$Mail", "field": "email"},
    ]
    assert UploadOptions.model_validate(stored) == options
    with pytest.raises(ValueError, match="saved_mapping"):
        UploadOptions.model_validate({"saved_mapping": "x" * 201})


def test_upload_over_the_size_limit_is_refused_while_spooling(tmp_path: Path) -> None:
    from listflow.ingest.entrypoints.uploads import spool
    from listflow.kit.problems import Problem
    from starlette.datastructures import UploadFile

    big = UploadFile(file=io.BytesIO(b"x" * 3000), filename="big.csv")
    with pytest.raises(Problem) as refused:
        asyncio.run(spool(big, None, tmp_path, 1000))
    assert refused.value.status == 413
    assert "1,000 bytes" in (refused.value.detail or "")
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(Problem):
        asyncio.run(spool(None, "y" * 2000, tmp_path, 1000))
    small = UploadFile(file=io.BytesIO(b"a,b\n"), filename="../x.csv")
    path, name = asyncio.run(spool(small, None, tmp_path, 1000))
    assert name == "x.csv"
    assert path.read_bytes() == b"a,b\n"


def test_nul_characters_past_the_sniffed_start_are_dropped_from_cells(tmp_path: Path) -> None:
    from listflow.ingest.adapters.reader import iter_row_batches

    lines = ["Name,Phone"] + [f"Name {i},+1212555{i % 10000:04d}" for i in range(5000)]
    lines.append("Ana\x00Maria,+12125550100")
    path = tmp_path / "nul.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    sniffed = sniff(path)
    rows = [item for batch in iter_row_batches(path, sniffed) for item in batch]
    last = rows[-1]
    assert isinstance(last, tuple)
    assert last[1] == ["AnaMaria", "+12125550100"]
