"""The operator console in a real browser (Debian's Chromium driven by playwright-core)
against the real stack: every scenario is one run of console/e2e/console.mjs, whose pages'
figures are checked here against what the public API reports."""

import csv
import io
import json
import os
import secrets
import shutil
import subprocess
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from listflow.devstack import datagen

from tests.conftest import Stack, upload, wait_for_status
from tests.integration.leads_helpers import create_campaign, new_phone, unique, write_csv

REPO = Path(__file__).resolve().parents[2]
CONSOLE = REPO / "console"
OUT = REPO / ".local" / "console-e2e"
EXAMPLE = REPO / "examples" / "contacts.csv"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")

pytestmark = pytest.mark.timeout(600)


@pytest.fixture(scope="module", autouse=True)
def console_ready() -> None:
    # make test builds the console and installs Chromium first (see the Makefile).
    assert (CONSOLE / "dist" / "index.html").is_file(), "console/dist is missing: run make test"
    assert (CONSOLE / "node_modules" / "playwright-core").is_dir(), "run make test (npm ci)"
    assert shutil.which("node"), "node is required for the console tests"
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: make test installs Debian's chromium"


def run(
    stack: Stack,
    scenario: str,
    *,
    tenant: str = "console",
    script: str = "e2e/console.mjs",
    **inputs: Any,
) -> dict[str, Any]:
    """Runs one browser scenario of `script` and returns what it saw; its failure fails the
    test."""
    env = {
        **os.environ,
        "LISTFLOW_GATEWAY": stack.gateway_url,
        "LISTFLOW_API_KEY": stack.tenants[tenant].key,
        "LISTFLOW_E2E_OUT": str(OUT),
        "LISTFLOW_E2E_INPUT": json.dumps(inputs),
        "CHROMIUM": CHROMIUM,
    }
    done = subprocess.run(
        ["node", script, scenario],
        cwd=CONSOLE,
        env=env,
        capture_output=True,
        text=True,
        timeout=540,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    assert lines, f"the scenario printed no result (exit {done.returncode}): {done.stderr[-3000:]}"
    result: dict[str, Any] = json.loads(lines[-1])
    assert result["ok"], (
        f"scenario {scenario} failed at {result.get('url')}: {result.get('error')}\n"
        f"(screenshot in {OUT / 'screenshots'})"
    )
    assert result["pageErrors"] == [], result["pageErrors"]
    return result


def test_wrong_api_key_is_refused_and_said_so(stack: Stack) -> None:
    result = run(stack, "wrong-key")
    assert "was not accepted" in result["message"]
    assert result["stored"] is None  # a refused key is not kept
    assert result["violations"] == [], json.dumps(result["violations"], indent=1)


def test_wizard_imports_a_dropped_csv_into_a_new_group(stack: Stack) -> None:
    group = f"Console CSV {secrets.token_hex(3)}"
    result = run(stack, "wizard-csv", file=str(EXAMPLE), fileName=EXAMPLE.name, group=group)
    assert result["stored"] is True  # the key is kept for the browser session
    assert result["detected"]["encoding"].lower().replace("-", "") in {"utf8", "ascii"}
    assert result["detected"]["delimiter"] == "Comma (,)"
    assert result["detected"]["header"] is True
    fields = {m["column"]: m["field"] for m in result["mapping"]}
    assert fields["Phone"] == "Phone"
    assert fields["Account number"] == "Account number"
    assert result["matchKey"].startswith("Account number")

    with stack.client("console") as api:
        preview = api.get(f"/v1/uploads/{result['uploadId']}/preview").json()
        final = api.get(f"/v1/uploads/{result['uploadId']}").json()
        report = api.get(f"/v1/uploads/{result['uploadId']}/errors.csv").text
        stored_group = api.get("/v1/groups/" + group)
    # The preview page shows the counts the API computed, and so does the summary.
    assert result["preview"]["rows"] == {
        "rows": preview["counts"]["rows"],
        "valid": preview["counts"]["valid"],
        "invalid": preview["counts"]["invalid"],
        "duplicates": preview["counts"]["duplicates"],
    }
    assert result["preview"]["matches"] == {
        "no match": preview["matches"]["no_match"],
        "one match": preview["matches"]["one_match"],
        "several matches": preview["matches"]["several_matches"],
    }
    assert preview["counts"] == {"rows": 7, "valid": 4, "invalid": 2, "duplicates": 1}
    shown_invalid = {(int(r[0]), r[1]) for r in result["preview"]["invalidRows"]}
    assert shown_invalid == {(e["row_number"], e["column"]) for e in preview["invalid_examples"]}
    assert result["status"] == final["status"] == "completed"
    assert result["summary"] == {
        "rows": final["counts"]["total"],
        "imported": final["counts"]["imported"],
        "updated": final["counts"]["updated"],
        "skipped": final["counts"]["skipped"],
        "duplicates": final["counts"]["duplicates"],
        "errors": final["counts"]["errors"],
    }
    assert final["counts"]["errors"] == 2 and final["counts"]["duplicates"] == 1
    assert final["target"]["name"] == group
    assert stored_group.status_code == 200, stored_group.text
    # The downloaded error report is the API's, and names the rejected rows.
    assert result["errorReportName"] == "contacts-errors.csv"
    assert result["errorReport"] == report
    rows = list(csv.reader(io.StringIO(result["errorReport"])))
    assert len(rows) > 2 and any("not a phone" in cell for row in rows for cell in row)
    assert result["violations"] == [], json.dumps(result["violations"], indent=1)


def test_wizard_imports_pasted_cells(stack: Stack) -> None:
    group = f"Console paste {secrets.token_hex(3)}"
    text = (
        "First name\tLast name\tPhone\tEmail\n"
        "Iris\tMoreno\t+34 600 111 222\tiris@example.es\n"
        "Jon\tKarlsen\t+47 412 34 567\tjon@example.no\n"
        "Kai\tBad\tnot a phone\tkai@example\n"
    )
    result = run(stack, "pasted", text=text, group=group)
    assert result["delimiter"] == "Tab"
    assert result["preview"]["rows"] == {"rows": 3, "valid": 2, "invalid": 1, "duplicates": 0}
    with stack.client("console") as api:
        final = api.get(f"/v1/uploads/{result['uploadId']}").json()
    assert final["status"] == result["status"] == "completed"
    assert final["counts"]["imported"] == result["summary"]["imported"] == 2
    assert final["counts"]["errors"] == result["summary"]["errors"] == 1
    assert final["file_name"] == "pasted.tsv"
    assert result["violations"] == [], json.dumps(result["violations"], indent=1)


def test_dashboard_lists_the_uploads_newest_first(stack: Stack, tmp_path: Path) -> None:
    # The console tenant's uploads: the wizard tests' and these two, newest first.
    with stack.client("console") as api:
        first = upload(api, EXAMPLE, {"target": {"kind": "group", "name": "Dash A"}}, name="a.csv")
        wait_for_status(api, first["id"], {"completed"})
        second = upload(api, EXAMPLE, {"target": {"kind": "group", "name": "Dash B"}}, name="b.csv")
        wait_for_status(api, second["id"], {"completed"})
        listed = api.get("/v1/uploads").json()["items"]
    result = run(stack, "dashboard")
    assert [r["id"] for r in result["rows"]] == [u["id"] for u in listed]
    assert [r["id"] for r in result["rows"]][:2] == [second["id"], first["id"]]
    cells = result["rows"][0]["cells"]
    assert cells[0] == "b.csv" and cells[2] == "Dash B" and cells[4] == "Completed"
    assert cells[5:9] == [
        str(listed[0]["counts"][k]) for k in ("imported", "updated", "errors", "duplicates")
    ]
    assert result["opened"] == second["id"]
    assert result["violations"] == [], json.dumps(result["violations"], indent=1)


def test_cancel_during_an_import_says_cancelled_with_the_counts_so_far(
    stack: Stack, tmp_path: Path
) -> None:
    rows = 30_000
    # Accounts of their own each run, so that rows import rather than update earlier runs.
    offset = 14_000_000 + secrets.randbelow(1_000) * 100_000
    data, _ = datagen.rows(rows, seed=secrets.randbelow(10**6), account_offset=offset)
    path = datagen.write_csv(tmp_path / "long.csv", data)
    group = f"Console cancel {secrets.token_hex(3)}"
    with stack.client("console") as api:
        started = upload(api, path, {"target": {"kind": "group", "name": group}})
    result = run(stack, "cancel", uploadId=started["id"])
    with stack.client("console") as api:
        final = api.get(f"/v1/uploads/{started['id']}").json()
    assert final["status"] == result["status"] == "cancelled"
    assert final["progress"]["rows_read"] < rows  # the cancel stopped the reading
    assert f"after {final['progress']['rows_read']:,} rows were read" in result["note"]
    # At the cancel the page showed rows already imported, never more than were in the end.
    assert 0 < result["atCancel"]["imported"] <= final["counts"]["imported"]
    assert result["final"] == {
        "rows": final["counts"]["total"],
        "imported": final["counts"]["imported"],
        "updated": final["counts"]["updated"],
        "skipped": final["counts"]["skipped"],
        "duplicates": final["counts"]["duplicates"],
        "errors": final["counts"]["errors"],
    }
    assert result["violations"] == [], json.dumps(result["violations"], indent=1)


def test_xlsx_with_two_sheets_imports_the_sheet_chosen(stack: Stack, tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    summary = book.active
    assert summary is not None
    summary.title = "Summary"
    summary.append(["Report", "Quarter"])
    summary.append(["Leads by region", "Q3"])
    leads = book.create_sheet("Leads")
    leads.append(["First name", "Last name", "Mobile", "Email"])
    run_id = secrets.token_hex(3)  # new people each run: the stack keeps earlier runs' contacts
    phones = [new_phone() for _ in range(3)]
    names = [("Lena", "Ortiz"), ("Omar", "Haddad"), ("Pia", "Berg")]
    for (first, last), phone in zip(names, phones, strict=True):
        leads.append([first, last, phone, f"{first.lower()}.{run_id}@example.com"])
    path = tmp_path / "two-sheets.xlsx"
    book.save(path)
    group = f"Console XLSX {run_id}"
    result = run(stack, "xlsx-sheets", file=str(path), sheet="Leads", header="Mobile", group=group)
    assert result["offered"] == ["Summary", "Leads"]
    assert result["first"] == {"sheet": "Summary", "columns": ["Report", "Quarter"]}
    assert result["second"] == {
        "sheet": "Leads",
        "columns": ["First name", "Last name", "Mobile", "Email"],
    }
    with stack.client("console") as api:
        final = api.get(f"/v1/uploads/{result['uploadId']}").json()
        contacts = api.get("/v1/contacts", params={"group": group}).json()["items"]
    assert final["detected"]["sheet"] == "Leads"
    assert final["status"] == result["status"] == "completed"
    assert final["counts"]["imported"] == result["summary"]["imported"] == 3
    assert sorted(c["data"]["phones"][0]["e164"] for c in contacts) == sorted(phones)
    assert result["violations"] == [], json.dumps(result["violations"], indent=1)


def test_lead_list_enabled_assigned_to_a_campaign_and_loaded(stack: Stack, tmp_path: Path) -> None:
    campaign_name = unique("Console campaign")
    list_name = unique("Console list")
    path = write_csv(
        tmp_path / "leads.csv",
        ["Name", "Phone1"],
        [["Ann Lee", new_phone()], ["Bo Park", new_phone()], ["Cy Ruiz", new_phone()]],
    )
    with stack.client("console") as api:
        campaign = create_campaign(api, campaign_name)
    result = run(
        stack, "lead-lists", list=list_name, campaign=campaign_name, file=str(path), expected=3
    )
    with stack.client("console") as api:
        stored = api.get(f"/v1/lead-lists/{result['listId']}").json()
        stats = api.get(f"/v1/lead-lists/{result['listId']}/stats").json()
        done = api.get(f"/v1/uploads/{result['uploadId']}").json()
    assert stored["name"] == list_name
    assert stored["enabled"] is True
    assert stored["campaign_ids"] == [campaign["id"]]
    assert done["status"] == "completed" and done["target"]["id"] == result["listId"]
    assert result["before"]["total"] == 0
    assert result["after"]["total"] == stats["total"] == 3
    assert result["rowLeads"] == "3"  # the table's count, after a reload at tablet width
    assert "3 leads are deleted" in result["question"]  # delete asked first, and was kept
    assert result["overflow"] is False  # nothing scrolls sideways at 768 px
    assert result["violations"] == [], json.dumps(result["violations"], indent=1)
