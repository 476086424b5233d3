"""Import templates: downloadable with samples, and enforced when an upload names one."""

import csv
import io
import json

import openpyxl

from tests.conftest import Stack, wait_for_status


def test_templates_are_listed_with_their_required_columns(stack: Stack) -> None:
    with stack.client("acme") as client:
        items = client.get("/v1/templates").json()["items"]
    names = {t["name"] for t in items}
    assert names == {"basic-contacts", "accounts", "debtor-accounts", "dialer-leads"}
    basic = next(t for t in items if t["name"] == "basic-contacts")
    required = {c["header"] for c in basic["columns"] if c["required"]}
    assert required == {"First name", "Last name", "Phone number"}


def test_csv_and_xlsx_downloads_carry_header_and_samples(stack: Stack) -> None:
    with stack.client("acme") as client:
        as_csv = client.get("/v1/templates/debtor-accounts.csv")
        as_xlsx = client.get("/v1/templates/debtor-accounts.xlsx")
        missing = client.get("/v1/templates/nope.csv")
    assert as_csv.status_code == 200
    assert "attachment" in as_csv.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(as_csv.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Customer ID", "First name", "Last name"]
    assert len(rows) == 3
    book = openpyxl.load_workbook(io.BytesIO(as_xlsx.content))
    sheet = book.active
    assert sheet is not None
    assert [c.value for c in sheet[1]][:3] == ["Customer ID", "First name", "Last name"]
    assert sheet.max_row == 3
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")


def test_the_downloaded_sample_imports_as_is(stack: Stack) -> None:
    with stack.client("acme") as client:
        sample = client.get("/v1/templates/basic-contacts.csv").content
        response = client.post(
            "/v1/uploads",
            files={"file": ("basic.csv", sample, "text/csv")},
            data={
                "options": json.dumps(
                    {"template": "basic-contacts", "target": {"kind": "group", "name": "Template"}}
                )
            },
        )
        assert response.status_code == 202, response.text
        done = wait_for_status(client, response.json()["id"], {"completed", "failed"})
    assert done["counts"]["imported"] == 2, done
    assert done["counts"]["errors"] == 0


def test_a_template_refuses_files_without_its_required_columns(stack: Stack) -> None:
    data = "First name,Email\nAna,ana@example.com\n"
    with stack.client("acme") as client:
        response = client.post(
            "/v1/uploads",
            files={"file": ("short.csv", data.encode(), "text/csv")},
            data={
                "options": json.dumps(
                    {"template": "basic-contacts", "target": {"kind": "group", "name": "Template"}}
                )
            },
        )
    assert response.status_code == 422
    body = response.json()
    assert "Last name" in body["detail"] and "Phone number" in body["detail"]


def test_a_template_reports_rows_missing_a_required_value(stack: Stack) -> None:
    data = "First name,Last name,Phone number\nAna,García,(415) 555-0199\nBo,,(212) 555-0198\n"
    with stack.client("acme") as client:
        response = client.post(
            "/v1/uploads",
            files={"file": ("gaps.csv", data.encode(), "text/csv")},
            data={
                "options": json.dumps(
                    {
                        "template": "basic-contacts",
                        "target": {"kind": "group", "name": "Template gaps"},
                    }
                )
            },
        )
        assert response.status_code == 202, response.text
        done = wait_for_status(client, response.json()["id"], {"completed", "failed"})
        report = client.get(f"/v1/uploads/{done['id']}/errors.csv").text
    assert done["counts"]["imported"] == 1
    assert done["counts"]["errors"] == 1
    row = next(csv.DictReader(io.StringIO(report)))
    assert row["row_number"] == "2"
    assert row["column"] == "Last name"
    assert row["reason"] == "required by the basic-contacts template"
