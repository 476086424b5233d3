"""Bad files get a clear problem (or per-row errors), and the service stays healthy after each."""

import csv
import io
import os
import zipfile
from pathlib import Path
from typing import Any

import httpx
import openpyxl
import pytest

from tests.conftest import MAX_ROWS, MAX_UPLOAD_BYTES, Stack, wait_for_status
from tests.integration.test_preview import wait_for_preview

GIB = 1024**3


def post_file(stack: Stack, name: str, content: bytes, options: str = "{}") -> httpx.Response:
    with stack.client("acme") as client:
        return client.post(
            "/v1/uploads",
            files={"file": (name, content, "application/octet-stream")},
            data={"options": options},
        )


def assert_refused(response: httpx.Response, *words: str) -> dict[str, Any]:
    assert response.status_code in (413, 422), response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    said = f"{body['title']}: {body['detail']}".lower()
    for word in words:
        assert word in said, body
    return body


def peak_rss_bytes(stack: Stack) -> int:
    assert stack.ingest.process is not None
    status = Path(f"/proc/{stack.ingest.process.pid}/status").read_text()
    line = next(x for x in status.splitlines() if x.startswith("VmHWM:"))
    return int(line.split()[1]) * 1024


@pytest.fixture(autouse=True)
def still_healthy(stack: Stack) -> Any:
    yield
    assert httpx.get(f"{stack.ingest.url}/readyz", timeout=10).status_code == 200
    assert stack.ingest.process is not None and stack.ingest.process.poll() is None
    with stack.client("acme") as client:
        assert client.get("/v1/uploads", params={"limit": 1}).status_code == 200


def workbook(rows: list[list[Any]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_empty_file(stack: Stack) -> None:
    assert_refused(post_file(stack, "empty.csv", b""), "empty")
    assert_refused(post_file(stack, "blank.csv", b"\r\n\r\n  \n"), "empty")


def test_header_only_file(stack: Stack) -> None:
    assert_refused(post_file(stack, "header.csv", b"First name,Phone,Email\r\n"), "no data rows")


def test_binary_garbage(stack: Stack) -> None:
    assert_refused(post_file(stack, "list.csv", os.urandom(300_000)))


def test_xlsx_named_csv_is_read_as_a_workbook(stack: Stack) -> None:
    content = workbook([["Phone", "Email"], ["+12125550142", "misnamed.xlsx@example.com"]])
    response = post_file(
        stack, "list.csv", content, '{"target": {"kind": "group", "name": "Misnamed"}}'
    )
    assert response.status_code == 202, response.text
    assert response.json()["format"] == "xlsx"
    with stack.client("acme") as client:
        done = wait_for_status(client, response.json()["id"], {"completed", "failed"})
    assert done["counts"]["total"] == 1
    assert done["counts"]["errors"] == 0


def test_csv_named_xlsx_is_read_as_text(stack: Stack) -> None:
    content = b"Phone,Email\r\n+12125550143,misnamed.csv@example.com\r\n"
    response = post_file(
        stack, "list.xlsx", content, '{"target": {"kind": "group", "name": "Misnamed"}}'
    )
    assert response.status_code == 202, response.text
    assert response.json()["format"] == "csv"
    with stack.client("acme") as client:
        done = wait_for_status(client, response.json()["id"], {"completed", "failed"})
    assert done["counts"]["total"] == 1
    assert done["counts"]["errors"] == 0


def test_xlsx_zip_bomb_is_refused_without_inflating_it(stack: Stack, tmp_path: Path) -> None:
    """About 1 MB on the wire that declares more than 1 GiB of sheet (the default limit)."""
    source = zipfile.ZipFile(io.BytesIO(workbook([["Phone"], ["+12125550144"]])))
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename != "xl/worksheets/sheet1.xml":
                target.writestr(info, data)
                continue
            with target.open(info.filename, "w", force_zip64=True) as member:
                member.write(data)
                blank = b" " * (1024 * 1024)
                for _ in range(GIB // len(blank) + 64):
                    member.write(blank)
    assert path.stat().st_size < 4 * 1024 * 1024
    before = peak_rss_bytes(stack)
    assert_refused(post_file(stack, "bomb.xlsx", path.read_bytes()), "expands")
    # The ingest process never came near holding the inflated sheet.
    assert peak_rss_bytes(stack) < max(before, 0) + 256 * 1024 * 1024


def test_ten_thousand_columns(stack: Stack) -> None:
    header = ",".join(f"c{i}" for i in range(10_000)).encode()
    row = ",".join("x" for _ in range(10_000)).encode()
    assert_refused(post_file(stack, "wide.csv", header + b"\r\n" + row + b"\r\n"), "columns")


def test_ten_thousand_columns_in_a_workbook(stack: Stack) -> None:
    content = workbook([[f"c{i}" for i in range(10_000)], ["x"] * 10_000])
    assert_refused(post_file(stack, "wide.xlsx", content), "columns")


def imported_with_one_error(stack: Stack, content: bytes, merged: int) -> dict[str, str]:
    """Import `content` into a group: it completes with `merged` rows merged and one row in
    the error report, which is returned."""
    response = post_file(
        stack, "long.csv", content, '{"target": {"kind": "group", "name": "Long cell"}}'
    )
    assert response.status_code == 202, response.text
    with stack.client("acme") as client:
        done = wait_for_status(client, response.json()["id"], {"completed", "failed"})
        report = client.get(f"/v1/uploads/{done['id']}/errors.csv").text
    assert done["status"] == "completed", done
    # Phones of their own (808): other tests' customers would turn imports into updates.
    assert done["counts"]["imported"] == merged
    assert done["counts"]["errors"] == 1
    assert "AAAA" * 10 not in report  # the long cell itself is never echoed
    [error] = csv.DictReader(io.StringIO(report))
    return error


def test_a_megabyte_long_cell_in_the_first_data_row_is_that_rows_error(stack: Stack) -> None:
    cell = b"A" * (1024 * 1024)
    content = b"Name,Phone\r\n" + cell + b",+18085590145\r\n" + b"Bo,+18085590146\r\n"
    error = imported_with_one_error(stack, content, merged=1)
    assert error["row_number"] == "1" and error["column"] == "Name"
    assert error["reason"] == "the cell has 1,048,576 characters; at most 32,768 are allowed"


def test_a_megabyte_long_cell_deep_in_the_file_fails_only_its_row(stack: Stack) -> None:
    lines = [b"Name,Phone"] + [f"N{i},+1808555{i:04d}".encode() for i in range(200)]
    lines.append(b"A" * (1024 * 1024) + b",+18085559999")
    lines += [f"M{i},+1808556{i:04d}".encode() for i in range(50)]
    error = imported_with_one_error(stack, b"\r\n".join(lines) + b"\r\n", merged=250)
    assert error["row_number"] == "201" and error["column"] == "Name"
    assert "at most 32,768" in error["reason"]


def test_a_quote_left_open_deep_in_the_file_fails_the_import_clearly(stack: Stack) -> None:
    lines = [b"Name,Phone"] + [f"N{i},+1808557{i:04d}".encode() for i in range(200)]
    lines.append(b'"Open quote,+18085559998')
    lines += [b"filler " * 10 + f",+1808558{i:04d}".encode() for i in range(1000)]
    response = post_file(
        stack,
        "open.csv",
        b"\r\n".join(lines) + b"\r\n",
        '{"target": {"kind": "group", "name": "Open quote"}}',
    )
    assert response.status_code == 202, response.text
    with stack.client("acme") as client:
        done = wait_for_status(client, response.json()["id"], {"completed", "failed"})
    assert done["status"] == "failed"
    assert "line 202" in done["failure"] and "quote left open" in done["failure"]


def test_a_file_over_the_size_limit(stack: Stack) -> None:
    content = b"Phone\r\n" + b"+12125550199\r\n" * (MAX_UPLOAD_BYTES // 14 + 1000)
    assert len(content) > MAX_UPLOAD_BYTES
    assert_refused(post_file(stack, "huge.csv", content), f"{MAX_UPLOAD_BYTES:,} bytes")


def test_a_file_with_far_too_many_rows_is_refused_at_upload(stack: Stack) -> None:
    content = b"Phone\r\n" + b"+12125550198\r\n" * (MAX_ROWS * 2)
    assert_refused(post_file(stack, "many.csv", content), "too many rows", f"{MAX_ROWS:,}")


def test_rows_past_the_limit_found_while_reading_end_the_preview_clearly(stack: Stack) -> None:
    # Close enough to the limit that the estimate lets it in; the exact count does not.
    content = b"Phone\r\n" + b"x\r\n" * (MAX_ROWS + 100)
    response = post_file(stack, "over.csv", content)
    assert response.status_code == 202, response.text
    upload_id = response.json()["id"]
    with stack.client("acme") as client:
        # Every row is invalid alike: insist, or the preview stops at the first thousand.
        insist = {"insist": True}
        assert client.post(f"/v1/uploads/{upload_id}/preview", json=insist).status_code == 202
        preview = wait_for_preview(client, upload_id)
    assert preview["status"] == "failed"
    assert f"more than {MAX_ROWS:,} rows" in preview["failure"]


def test_nul_characters_deep_in_a_file_do_not_stall_the_import(stack: Stack) -> None:
    filler = b"".join(f"Filler {i},x\r\n".encode() for i in range(6000))
    content = b"First name,Phone\r\n" + filler + b"Ana\x00Maria,+12125550197\r\n"
    run = f"{os.getpid()}-{len(content)}"
    response = post_file(
        stack,
        "nul.csv",
        content,
        # The fillers are all invalid alike: insist, or the import stops at the first thousand.
        f'{{"target": {{"kind": "group", "name": "NUL {run}"}}, "insist": true}}',
    )
    assert response.status_code == 202, response.text
    with stack.client("acme") as client:
        done = wait_for_status(client, response.json()["id"], {"completed", "failed"})
        assert done["status"] == "completed", done
        assert done["counts"]["errors"] == 6000
        assert done["counts"]["imported"] + done["counts"]["updated"] == 1
        contacts = client.get("/v1/contacts", params={"group": f"NUL {run}"}).json()["items"]
    assert [c["data"]["first_name"] for c in contacts] == ["AnaMaria"]
