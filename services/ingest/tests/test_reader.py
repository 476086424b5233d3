import os
from datetime import date, datetime
from pathlib import Path

import pytest
from listflow.ingest.adapters.reader import (
    BrokenRow,
    FileRejected,
    OversizedRow,
    RaggedRow,
    ReadLimits,
    Row,
    Sniffed,
    iter_row_batches,
    sniff,
)

CZECH = (
    "Jméno;Příjmení;Telefon;Město\n"
    "Jiří;Dvořák;601123456;Plzeň\n"
    "Žaneta;Šťastná;602234567;České Budějovice\n"
    "Petr;Novák;603345678;Brno\n"
)


def write(tmp_path: Path, content: str | bytes, name: str = "list.csv") -> Path:
    path = tmp_path / name
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8", newline="")
    else:
        path.write_bytes(content)
    return path


def rows_of(
    path: Path, sniffed: Sniffed, batch_rows: int = 5000, limits: ReadLimits | None = None
) -> list[Row | BrokenRow]:
    batches = iter_row_batches(path, sniffed, batch_rows=batch_rows, limits=limits or ReadLimits())
    return [item for batch in batches for item in batch]


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_delimiter_detection(tmp_path: Path, delimiter: str) -> None:
    lines = [
        ["name", "phone", "note"],
        ["Ann", "4155552671", "a, b; c"],
        ["Bob", "2125550100", "x"],
    ]
    text = "".join(
        delimiter.join(f'"{c}"' if any(d in c for d in ",;\t|") else c for c in line) + "\n"
        for line in lines
    )
    path = write(tmp_path, text)
    sniffed = sniff(path)
    assert sniffed.dialect.delimiter == delimiter
    assert sniffed.format == "csv"
    assert sniffed.headers == ["name", "phone", "note"]
    assert sniffed.sample_rows == [["Ann", "4155552671", "a, b; c"], ["Bob", "2125550100", "x"]]


def test_semicolon_with_decimal_commas(tmp_path: Path) -> None:
    path = write(tmp_path, "name;balance\nAnn;1,5\nBob;2,75\nCid;3,0\n")
    assert sniff(path).dialect.delimiter == ";"


def test_explicit_dialect_wins(tmp_path: Path) -> None:
    path = write(tmp_path, "a|b\n1|2\n")
    sniffed = sniff(path, delimiter="tab", header=False)
    assert sniffed.dialect.delimiter == "\t"
    assert sniffed.headers == ["column_1"]
    assert sniffed.sample_rows == [["a|b"], ["1|2"]]


def test_utf8_bom(tmp_path: Path) -> None:
    path = write(tmp_path, "\ufeffname,email\nAnn,ann@example.com\n".encode())
    sniffed = sniff(path)
    assert sniffed.dialect.encoding == "utf-8-sig"
    assert sniffed.headers == ["name", "email"]
    assert rows_of(path, sniffed) == [(1, ["Ann", "ann@example.com"])]


def test_explicit_utf8_still_drops_the_bom(tmp_path: Path) -> None:
    path = write(tmp_path, "\ufeffname,email\nAnn,ann@example.com\n".encode())
    assert sniff(path, encoding="UTF-8").headers == ["name", "email"]


def test_windows_1250_czech(tmp_path: Path) -> None:
    path = write(tmp_path, CZECH.encode("cp1250"))
    sniffed = sniff(path)
    assert sniffed.dialect.encoding == "cp1250"
    assert sniffed.dialect.delimiter == ";"
    assert sniffed.headers == ["Jméno", "Příjmení", "Telefon", "Město"]
    assert rows_of(path, sniffed)[1] == (2, ["Žaneta", "Šťastná", "602234567", "České Budějovice"])


def test_windows_1252_spanish(tmp_path: Path) -> None:
    text = "Nombre,Apellido,Teléfono,Ciudad\nJosé,Muñoz,3001234567,Bogotá\n"
    path = write(tmp_path, text.encode("cp1252"))
    sniffed = sniff(path)
    assert sniffed.dialect.encoding == "cp1252"
    assert sniffed.sample_rows == [["José", "Muñoz", "3001234567", "Bogotá"]]


def test_non_utf8_bytes_after_the_sample_are_found(tmp_path: Path) -> None:
    header = b"Jmeno;Prijmeni;Telefon;Mesto\n"
    filler = "".join(f"Person{i};Test;60112{i:04d};Brno\n" for i in range(5000)).encode()
    tail = CZECH.split("\n", 1)[1].encode("cp1250")
    path = write(tmp_path, header + filler + tail)
    sniffed = sniff(path)
    assert sniffed.dialect.encoding == "cp1250"
    assert rows_of(path, sniffed)[-2] == (
        5002,
        ["Žaneta", "Šťastná", "602234567", "České Budějovice"],
    )


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le"])
def test_utf16(tmp_path: Path, encoding: str) -> None:
    path = write(tmp_path, "name\tphone\nJiří\t601123456\n".encode(encoding))
    sniffed = sniff(path)
    assert sniffed.dialect.delimiter == "\t"
    assert sniffed.headers == ["name", "phone"]
    assert rows_of(path, sniffed) == [(1, ["Jiří", "601123456"])]


def test_quoted_newlines_blank_lines_and_row_numbers(tmp_path: Path) -> None:
    text = (
        "name,note,phone\r\n"
        "\r\n"
        'Ann,"line one\r\nline two",4155552671\r\n'
        "\r\n"
        ",,\r\n"
        "Bob,,2125550100\r\n"
        '"Cid ""the kid""",x,\r\n'
    )
    path = write(tmp_path, text)
    sniffed = sniff(path)
    assert sniffed.headers == ["name", "note", "phone"]
    assert rows_of(path, sniffed) == [
        (1, ["Ann", "line one\r\nline two", "4155552671"]),
        (2, ["Bob", None, "2125550100"]),
        (3, ['Cid "the kid"', "x", None]),
    ]


def test_ragged_rows(tmp_path: Path) -> None:
    text = "a,b,c\n1,2,3\n4,5\n6,7,8,9\n10,11,12,,\n13,14,15\n"
    path = write(tmp_path, text)
    sniffed = sniff(path)
    items = rows_of(path, sniffed)
    assert items == [
        (1, ["1", "2", "3"]),
        (2, ["4", "5", None]),
        RaggedRow(3, 3, 4),
        (4, ["10", "11", "12"]),
        (5, ["13", "14", "15"]),
    ]
    ragged = items[2]
    assert isinstance(ragged, RaggedRow)
    assert ragged.reason == "row has 4 cells but the header has 3"


def test_row_numbers_across_batches(tmp_path: Path) -> None:
    text = "name,phone\n" + "".join(f"P{i},{4155550100 + i}\n" for i in range(1, 11))
    path = write(tmp_path, text)
    batches = list(iter_row_batches(path, sniff(path), batch_rows=3))
    assert [len(b) for b in batches] == [3, 3, 3, 1]
    flat = [item for batch in batches for item in batch]
    assert [item[0] for item in flat if isinstance(item, tuple)] == list(range(1, 11))
    assert flat[9] == (10, ["P10", "4155550110"])


def test_header_detection(tmp_path: Path) -> None:
    no_header = write(tmp_path, "Ann,4155552671,ann@example.com\nBob,2125550100,bob@example.com\n")
    sniffed = sniff(no_header)
    assert sniffed.dialect.header is False
    assert sniffed.headers == ["column_1", "column_2", "column_3"]
    assert rows_of(no_header, sniffed)[0] == (1, ["Ann", "4155552671", "ann@example.com"])
    with_header = write(tmp_path, "Who,Where\nAnn,Paris\nBob,Rome\n", "h.csv")
    assert sniff(with_header).dialect.header is True


def test_header_names_are_made_unique_and_non_empty(tmp_path: Path) -> None:
    path = write(tmp_path, "Phone,,phone, Notes \n1,2,3,4\n")
    assert sniff(path).headers == ["Phone", "column_2", "phone_2", "Notes"]


def test_header_only_file(tmp_path: Path) -> None:
    path = write(tmp_path, "name,phone\n\n\n")
    with pytest.raises(FileRejected, match="no data rows"):
        sniff(path)


@pytest.mark.parametrize("content", [b"", b"\n\n  \n", b"\xef\xbb\xbf"])
def test_empty_file(tmp_path: Path, content: bytes) -> None:
    with pytest.raises(FileRejected, match="empty"):
        sniff(write(tmp_path, content))


def test_binary_garbage(tmp_path: Path) -> None:
    path = write(tmp_path, os.urandom(4096))
    with pytest.raises(FileRejected, match=r"binary|not text"):
        sniff(path)


@pytest.mark.parametrize(
    ("content", "what"),
    [(b"%PDF-1.7\n...", "PDF"), (b"\x89PNG\r\n\x1a\n....", "PNG"), (b"\x1f\x8b\x08\x00", "gzip")],
)
def test_known_unsupported_formats(tmp_path: Path, content: bytes, what: str) -> None:
    with pytest.raises(FileRejected, match=f"unsupported format: .*{what}"):
        sniff(write(tmp_path, content))


def test_plain_zip_is_unsupported(tmp_path: Path) -> None:
    import zipfile

    path = tmp_path / "list.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("list.csv", "a,b\n1,2\n")
    with pytest.raises(FileRejected, match="zip archive"):
        sniff(path)


def test_too_many_columns(tmp_path: Path) -> None:
    path = write(tmp_path, ",".join(f"c{i}" for i in range(11)) + "\n" + "1," * 10 + "1\n")
    with pytest.raises(FileRejected, match="11 columns; at most 10"):
        sniff(path, limits=ReadLimits(max_columns=10))


def test_a_row_with_a_cell_too_long_is_reported_and_the_rest_is_read(tmp_path: Path) -> None:
    path = write(tmp_path, "a,b\n1,2\n3," + "x" * 101 + "\n4,5\n")
    limits = ReadLimits(max_cell_chars=100)
    sniffed = sniff(path, sample_size=1, limits=limits)
    items = rows_of(path, sniffed, batch_rows=1, limits=limits)
    assert items == [(1, ["1", "2"]), OversizedRow(2, "b", 101, 100), (3, ["4", "5"])]
    assert items[1].reason == "the cell has 101 characters; at most 100 are allowed"  # type: ignore[union-attr]


def test_a_sample_row_with_a_cell_too_long_shows_it_cut_short(tmp_path: Path) -> None:
    path = write(tmp_path, "a,b\n" + "y" * 101 + ",2\n4,5\n")
    limits = ReadLimits(max_cell_chars=100)
    sniffed = sniff(path, limits=limits)
    assert sniffed.headers == ["a", "b"]
    assert sniffed.sample_rows == [["y" * 100, "2"], ["4", "5"]]
    assert rows_of(path, sniffed, limits=limits)[0] == OversizedRow(1, "a", 101, 100)


def test_a_header_with_a_cell_too_long_rejects_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "a," + "h" * 101 + "\n1,2\n")
    with pytest.raises(FileRejected, match="first row has a cell longer than 100"):
        sniff(path, limits=ReadLimits(max_cell_chars=100))


def test_a_quote_left_open_rejects_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, 'a,b\n1,2\n3,"4\n' + "5,6\n" * 50)
    limits = ReadLimits(max_cell_chars=100)
    sniffed = sniff(path, sample_size=1, limits=limits)
    with pytest.raises(FileRejected, match=r"line 3: .* 100 characters \(is a quote left open\?\)"):
        rows_of(path, sniffed, limits=limits)


def test_unterminated_quote_is_bounded(tmp_path: Path) -> None:
    path = write(tmp_path, 'a,b\n1,"2\n' + "filler line\n" * 20000)
    with pytest.raises(FileRejected, match="longer than"):
        sniff(path)


def test_a_workbook_row_with_a_cell_too_long_is_reported(tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Name", "Notes"])
    sheet.append(["Ann", "z" * 101])
    sheet.append(["Bob", "short"])
    path = tmp_path / "long.xlsx"
    workbook.save(path)
    limits = ReadLimits(max_cell_chars=100)
    assert rows_of(path, sniff(path, limits=limits), limits=limits) == [
        OversizedRow(1, "Notes", 101, 100),
        (2, ["Bob", "short"]),
    ]


def test_xlsx_with_two_sheets(tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    workbook = openpyxl.Workbook()
    first = workbook.active
    first.title = "Customers"
    first.append(["Name", "Phone", "DOB", "Balance", "Joined", "VIP"])
    first.append(["Ann", 4155552671, date(1990, 5, 17), 12.5, datetime(2020, 1, 2, 3, 4), True])
    first.append([])
    first.append(["Bob", "0044 7400 123456", None, 3.0])
    second = workbook.create_sheet("Archive")
    second.append(["Name", "Email"])
    second.append(["Cid", "cid@example.com"])
    path = tmp_path / "list.xlsx"
    workbook.save(path)

    sniffed = sniff(path)
    assert sniffed.format == "xlsx"
    assert sniffed.sheet == "Customers"
    assert sniffed.sheets == ("Customers", "Archive")  # the console's sheet select
    assert sniffed.headers == ["Name", "Phone", "DOB", "Balance", "Joined", "VIP"]
    assert rows_of(path, sniffed) == [
        (1, ["Ann", "4155552671", "1990-05-17", "12.5", "2020-01-02 03:04:00", "true"]),
        (2, ["Bob", "0044 7400 123456", None, "3", None, None]),
    ]

    archive = sniff(path, sheet="Archive")
    assert (archive.sheet, archive.sheets) == ("Archive", ("Customers", "Archive"))
    assert archive.headers == ["Name", "Email"]
    assert rows_of(path, archive) == [(1, ["Cid", "cid@example.com"])]

    with pytest.raises(FileRejected, match="no sheet 'Missing'; sheets: Customers, Archive"):
        sniff(path, sheet="Missing")


def test_renamed_xlsx_is_detected_by_content(tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    workbook = openpyxl.Workbook()
    workbook.active.append(["Email"])
    workbook.active.append(["a@example.com"])
    path = tmp_path / "upload.csv"
    workbook.save(path)
    assert sniff(path).format == "xlsx"
