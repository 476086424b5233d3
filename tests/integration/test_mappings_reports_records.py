"""Saved mappings, the error report as XLSX, the export of every row's outcome, and one
contact entered by hand."""

import csv
import io
import json
import random
from pathlib import Path
from typing import Any

import openpyxl

from tests.conftest import Stack, upload, wait_for_status


def run_id() -> str:
    return f"{random.randrange(16**6):06x}"


def test_renaming_a_mapping_to_a_taken_name_is_a_conflict(stack: Stack) -> None:
    # FerretDB 2 reports a unique clash on an update as code 1, not 11000: still a 409.
    first, second = f"Mapping A {run_id()}", f"Mapping B {run_id()}"
    columns = {"Tel.": "phone"}
    with stack.client("acme") as client:
        client.post("/v1/mappings", json={"name": first, "columns": columns}).raise_for_status()
        other = client.post("/v1/mappings", json={"name": second, "columns": columns}).json()
        clash = client.put(
            f"/v1/mappings/{other['id']}", json={"name": first.lower(), "columns": columns}
        )
        assert clash.status_code == 409, clash.text
        assert clash.headers["content-type"].startswith("application/problem+json")
        assert client.get(f"/v1/mappings/{other['id']}").json()["name"] == second


def test_saved_mappings_crud_and_tenancy(stack: Stack) -> None:
    name = f"CRM export {run_id()}"
    body = {"name": name, "columns": {"Tel.": "phone", "Mail": "email", "Notes": "extra"}}
    with stack.client("acme") as client:
        created = client.post("/v1/mappings", json=body)
        assert created.status_code == 201, created.text
        mapping = created.json()
        assert mapping["columns"] == body["columns"]
        assert client.post("/v1/mappings", json={**body, "name": name.upper()}).status_code == 409
        bad = client.post("/v1/mappings", json={"name": "x", "columns": {"A": "shoe_size"}})
        assert bad.status_code == 422
        assert "shoe_size" in bad.text
        assert client.get(f"/v1/mappings/{mapping['id']}").json()["name"] == name
        names = [
            m["name"] for m in client.get("/v1/mappings", params={"limit": 200}).json()["items"]
        ]
        assert name in names
        renamed = client.put(
            f"/v1/mappings/{mapping['id']}",
            json={"name": f"{name} v2", "columns": {"Tel.": "phone"}},
        )
        assert renamed.status_code == 200, renamed.text
        assert renamed.json()["columns"] == {"Tel.": "phone"}
    with stack.client("globex") as globex:
        assert globex.get(f"/v1/mappings/{mapping['id']}").status_code == 404
        assert globex.delete(f"/v1/mappings/{mapping['id']}").status_code == 404
    with stack.client("acme") as client:
        assert client.delete(f"/v1/mappings/{mapping['id']}").status_code == 204
        assert client.get(f"/v1/mappings/{mapping['id']}").status_code == 404


def test_an_upload_names_a_saved_mapping(stack: Stack, tmp_path: Path) -> None:
    run = run_id()
    name = f"Dialer export {run}"
    path = tmp_path / "dialer.csv"
    path.write_text(
        "col A,col B,col C\n"
        f"+1212555{random.randint(1000, 9999)},a.{run}@example.com,SM-{run}-1\n"
        f"+1212556{random.randint(1000, 9999)},b.{run}@example.com,SM-{run}-2\n",
        encoding="utf-8",
    )
    with stack.client("acme") as client:
        assert (
            client.post(
                "/v1/mappings",
                json={
                    "name": name,
                    # "Fax" is not in this file: a saved mapping may name optional columns.
                    "columns": {
                        "col A": "phone",
                        "col B": "email",
                        "col C": "account_number",
                        "Fax": "ignore",
                    },
                },
            ).status_code
            == 201
        )
        accepted = upload(
            client,
            path,
            {"target": {"kind": "group", "name": f"Saved {run}"}, "saved_mapping": name.lower()},
        )
        done = wait_for_status(client, accepted["id"], {"completed", "failed"})
        assert done["counts"]["imported"] == 2, done
        assert done["match"]["key"] == "account_number"
        contacts = client.get("/v1/contacts", params={"group": f"Saved {run}"}).json()["items"]
        assert sorted(c["data"]["emails"][0] for c in contacts) == [
            f"a.{run}@example.com",
            f"b.{run}@example.com",
        ]
        missing = client.post(
            "/v1/uploads",
            files={"file": ("d.csv", path.read_bytes(), "text/csv")},
            data={
                "options": json.dumps(
                    {
                        "saved_mapping": "no such mapping",
                        "start": True,
                        "target": {"kind": "group", "name": "X"},
                    }
                )
            },
        )
        assert missing.status_code == 422, missing.text
        # Saved mapping named at start rather than at upload.
        waiting = upload(client, path, {})
        started = client.post(
            f"/v1/uploads/{waiting['id']}/start",
            json={"target": {"kind": "group", "name": f"Saved {run}"}, "saved_mapping": name},
        )
        assert started.status_code == 202, started.text
        second = wait_for_status(client, waiting["id"], {"completed", "failed"})
        assert second["counts"]["updated"] == 2, second


SSN = "536-22-4321"


def test_error_report_xlsx_and_export_are_safe_in_a_spreadsheet(
    stack: Stack, tmp_path: Path
) -> None:
    run = run_id()
    path = tmp_path / "risky.csv"
    formula = '=HYPERLINK("http://evil.example","click")'
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["First name", "Phone", "Email", "Account number", "=SUM(A1)", "SSN"])
        writer.writerow([formula, "+12125550170", f"ok.{run}@example.com", f"EX-{run}-1", "n", SSN])
        writer.writerow(["Bad", "12", f"bad.{run}@example.com", f"EX-{run}-2", "n", "536-22-1111"])
        writer.writerow(["Dup", "+12125550171", f"dup.{run}@example.com", f"ex-{run}-1", "n", ""])
        writer.writerow(["@cmd", "+12125550172", "=1+1", f"EX-{run}-3", "n", ""])
    with stack.client("acme") as client:
        accepted = upload(client, path, {"target": {"kind": "group", "name": f"Risky {run}"}})
        done = wait_for_status(client, accepted["id"], {"completed", "failed"})
        assert done["counts"] == {
            "total": 4,
            "imported": 1,
            "updated": 0,
            "skipped": 0,
            "duplicates": 1,
            "errors": 2,
        }
        errors_xlsx = client.get(f"/v1/uploads/{accepted['id']}/errors.xlsx")
        errors_csv = client.get(f"/v1/uploads/{accepted['id']}/errors.csv")
        export_csv = client.get(f"/v1/uploads/{accepted['id']}/export.csv")
        export_xlsx = client.get(f"/v1/uploads/{accepted['id']}/export.xlsx")
    assert next(csv.reader(io.StringIO(errors_csv.text)))[-2] == "'=SUM(A1)"
    assert SSN not in errors_csv.text
    assert errors_xlsx.status_code == 200
    assert errors_xlsx.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet = openpyxl.load_workbook(io.BytesIO(errors_xlsx.content)).active
    assert sheet is not None
    rows = [[c.value for c in r] for r in sheet.iter_rows()]
    assert rows[0] == [
        "row_number",
        "column",
        "value",
        "reason",
        "First name",
        "Phone",
        "Email",
        "Account number",
        "=SUM(A1)",
        "SSN",
    ]
    assert [r[0] for r in rows[1:]] == [2, 4]
    assert rows[1][1] == "Phone"
    assert rows[1][-1] == "*******1111"  # the original row, national id masked
    assert rows[2][1] == "Email"
    # Formula-like text is stored as text, never as a formula.
    cells = [c for r in sheet.iter_rows() for c in r]
    assert all(c.data_type != "f" for c in cells)
    assert "=1+1" in [c.value for c in cells]

    assert export_csv.status_code == 200
    assert SSN not in export_csv.text and "5362243" not in export_csv.text
    exported = list(csv.DictReader(io.StringIO(export_csv.text)))
    assert [r["row_number"] for r in exported] == ["1", "2", "3", "4"]
    assert [r["outcome"] for r in exported] == ["imported", "invalid", "duplicate", "invalid"]
    assert exported[0]["contact_id"]
    assert exported[0]["First name"] == "'" + formula
    assert exported[0]["SSN"].endswith("4321") and exported[0]["SSN"].startswith("*")
    assert exported[3]["First name"] == "'@cmd"
    assert "email" in exported[3]["reason"].lower()

    book = openpyxl.load_workbook(io.BytesIO(export_xlsx.content)).active
    assert book is not None
    xrows = [[c.value for c in r] for r in book.iter_rows()]
    assert xrows[0][:4] == ["row_number", "outcome", "contact_id", "reason"]
    assert xrows[1][4] == formula
    assert all(c.data_type != "f" for r in book.iter_rows() for c in r)
    assert [r[1] for r in xrows[1:]] == ["imported", "invalid", "duplicate", "invalid"]


def test_export_of_an_upload_not_started_is_a_conflict(stack: Stack, tmp_path: Path) -> None:
    path = tmp_path / "wait.csv"
    path.write_text("Phone\n+12125550180\n", encoding="utf-8")
    with stack.client("acme") as client:
        waiting = upload(client, path, {})
        assert client.get(f"/v1/uploads/{waiting['id']}/export.csv").status_code == 409
        assert client.get(f"/v1/uploads/{waiting['id']}/errors.xlsx").status_code == 200
    with stack.client("globex") as globex:
        assert globex.get(f"/v1/uploads/{waiting['id']}/export.xlsx").status_code == 404


def test_one_contact_entered_by_hand(stack: Stack) -> None:
    run = run_id()
    account = f"HB-{run}"
    target = {"kind": "group", "name": f"By hand {run}"}
    with stack.client("acme") as client:
        invalid = client.post(
            "/v1/uploads/record",
            json={
                "record": {
                    "first_name": "Ana",
                    "phone": "12",
                    "email": "ana@",
                    "account_number": account,
                },
                "options": {"target": target},
            },
        )
        assert invalid.status_code == 422, invalid.text
        problem: dict[str, Any] = invalid.json()
        assert {e["field"] for e in problem["errors"]} == {"phone", "email"}
        unknown = client.post("/v1/uploads/record", json={"record": {"shoe_size": "42"}})
        assert unknown.status_code == 422
        assert "shoe_size" in unknown.json()["detail"]

        created = client.post(
            "/v1/uploads/record",
            json={
                "record": {
                    "first_name": "Ana",
                    "last_name": "García",
                    "phone": "34 600 123 456",
                    "account_number": account,
                    "balance": 120.5,
                },
                "options": {"target": target, "default_region": "ES"},
            },
        )
        assert created.status_code == 202, created.text
        assert created.json()["file_name"] == "record.csv"
        done = wait_for_status(client, created.json()["id"], {"completed", "failed"})
        assert done["counts"]["imported"] == 1, done
        contact = client.get("/v1/contacts", params={"group": target["name"]}).json()["items"][0]
        assert contact["data"]["phones"][0]["e164"] == "+34600123456"

        again = client.post(
            "/v1/uploads/record",
            json={
                "record": {"first_name": "Anna", "account_number": account.lower()},
                "options": {"target": target},
            },
        )
        assert again.status_code == 202, again.text
        second = wait_for_status(client, again.json()["id"], {"completed", "failed"})
        assert second["counts"]["updated"] == 1, second
        updated = client.get(f"/v1/contacts/{contact['id']}").json()
        assert updated["data"]["first_name"] == "Anna"
        history = client.get("/v1/uploads", params={"target": target["name"]}).json()["items"]
        assert {u["id"] for u in history} == {created.json()["id"], again.json()["id"]}


def test_json_body_carries_pasted_cells_or_one_record(stack: Stack) -> None:
    run = run_id()
    target = {"kind": "group", "name": f"JSON {run}"}
    pasted = (
        "Nombre\tTeléfono\tCorreo\tNúmero de cuenta\n"
        f"Lucía\t+34 611 222 333\tlucia.{run}@example.es\tJS-{run}-1\n"
        f"Pablo\t612 333 444\tpablo.{run}@example.es\tJS-{run}-2\n"
    )
    with stack.client("acme") as client:
        response = client.post(
            "/v1/uploads",
            json={"text": pasted, "options": {"target": target, "default_region": "ES"}},
        )
        assert response.status_code == 202, response.text
        assert response.json()["detected"]["delimiter"] == "\t"
        done = wait_for_status(client, response.json()["id"], {"completed", "failed"})
        assert done["counts"]["imported"] == 2, done

        record = client.post(
            "/v1/uploads",
            json={
                "record": {
                    "first_name": "Lucía",
                    "account_number": f"JS-{run}-1",
                    "email": f"lucia.new.{run}@example.es",
                },
                "options": {"target": target},
            },
        )
        assert record.status_code == 202, record.text
        again = wait_for_status(client, record.json()["id"], {"completed", "failed"})
        assert again["counts"]["updated"] == 1, again

        both = client.post("/v1/uploads", json={"text": "a", "record": {"first_name": "x"}})
        assert both.status_code == 422
        unknown = client.post("/v1/uploads", json={"text": "a\n1\n", "colour": "red"})
        assert unknown.status_code == 422
        assert any("colour" in e["location"] for e in unknown.json()["errors"])
        not_json = client.post(
            "/v1/uploads", content=b"{oops", headers={"Content-Type": "application/json"}
        )
        assert not_json.status_code == 400
        assert not_json.headers["content-type"].startswith("application/problem+json")


def test_headers_with_dots_and_dollars_can_be_mapped(stack: Stack, tmp_path: Path) -> None:
    """Such headers cannot be document keys on FerretDB; the stored options must cope."""
    run = run_id()
    path = tmp_path / "dots.csv"
    phone = f"+1212557{random.randint(1000, 9999)}"
    path.write_text(
        f"Tel.,$Mail,Acct.No\n{phone},dot.{run}@example.com,DT-{run}\n", encoding="utf-8"
    )
    mapping = {"Tel.": "phone", "$Mail": "email", "Acct.No": "account_number"}
    with stack.client("acme") as client:
        accepted = upload(
            client, path, {"target": {"kind": "group", "name": f"Dots {run}"}, "mapping": mapping}
        )
        done = wait_for_status(client, accepted["id"], {"completed", "failed"})
        assert done["counts"]["imported"] == 1, done
        saved = client.post("/v1/mappings", json={"name": f"Dots {run}", "columns": mapping})
        assert saved.status_code == 201, saved.text
        waiting = upload(client, path, {"saved_mapping": f"Dots {run}"})
        preview = client.post(f"/v1/uploads/{waiting['id']}/preview", json={})
        assert preview.status_code == 202, preview.text
        assert {"column": "$Mail", "field": "email"} in preview.json()["mapping"]
