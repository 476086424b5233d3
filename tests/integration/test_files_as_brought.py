"""Files as operators bring them (issue 16): dates in the customer's order, each template's own
rules, and files that cannot succeed refused at start or stopped early."""

import csv
import io
import json
from pathlib import Path
from typing import Any

import httpx
import openpyxl
import pytest

from tests.conftest import Stack, upload, wait_for_status
from tests.integration.contacts_support import group_contacts
from tests.integration.leads_helpers import create_list, leads_of, new_phone, unique, write_csv
from tests.integration.test_preview import wait_for_preview

CHANNEL = "at least one contact channel: phone, email or social media"
PERSON = "a person needs a first surname and a first name"
COMPANY = "a company needs a company name (instead of a person's names)"


@pytest.fixture
def acme(stack: Stack) -> Any:
    with stack.client("acme") as client:
        yield client


def report_rows(client: httpx.Client, upload_id: str) -> list[dict[str, str]]:
    response = client.get(f"/v1/uploads/{upload_id}/errors.csv")
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response.text)))


def births(client: httpx.Client, group: str) -> dict[str, str | None]:
    return {
        c["data"]["accounts"][0]["number"]: c["data"].get("date_of_birth")
        for c in group_contacts(client, group)
    }


DEBTOR_HEADER = [
    "Customer ID",
    "First name",
    "Last name",
    "Date of birth",
    "Postcode",
    "Account number",
    "Balance",
    "Currency",
]


def test_a_day_first_gb_file_without_date_order_imports_every_valid_row_with_its_dates(
    acme: httpx.Client, tmp_path: Path
) -> None:
    group = unique("UK debtors")
    path = write_csv(
        tmp_path / "uk.csv",
        DEBTOR_HEADER,
        [
            ["C-1", "Oliver", "Jones", "14/01/1960", "SW1A 1AA", "UK-1", "10.00", "GBP"],
            ["C-2", "Amelia", "Smith", "03/04/1975", "SW1A 1AA", "UK-2", "20.00", "GBP"],
            ["C-3", "Harry", "Brown", "25/12/1988", "SW1A 1AA", "UK-3", "30.00", "GBP"],
            ["C-4", "Isla", "Taylor", "1.2.1990", "SW1A 1AA", "UK-4", "40.00", "GBP"],
            # Month first: contradicts the column's order, an error naming the column.
            ["C-5", "Jack", "Wilson", "01/13/1990", "SW1A 1AA", "UK-5", "50.00", "GBP"],
        ],
    )
    accepted = upload(
        acme,
        path,
        {
            "template": "debtor-accounts",
            "default_region": "GB",
            "target": {"kind": "group", "name": group},
        },
    )
    assert accepted["detected"]["date_orders"] == [
        {"column": "Date of birth", "order": "DMY", "source": "values", "ambiguous": False}
    ]
    done = wait_for_status(acme, accepted["id"], {"completed", "failed"})
    assert done["status"] == "completed", done
    assert done["counts"]["imported"] == 4
    assert done["counts"]["errors"] == 1
    assert done["date_orders"] == accepted["detected"]["date_orders"]
    assert births(acme, group) == {
        "UK-1": "1960-01-14",
        "UK-2": "1975-04-03",
        "UK-3": "1988-12-25",
        "UK-4": "1990-02-01",
    }
    [error] = report_rows(acme, done["id"])
    assert error["row_number"] == "5"
    assert error["column"] == "Date of birth"
    assert "month 13 does not exist in DMY order" in error["reason"]


def test_a_day_first_and_a_month_first_column_in_one_file_are_each_inferred(
    acme: httpx.Client, tmp_path: Path
) -> None:
    name = unique("Two date orders")
    created = create_list(
        acme,
        name,
        fields=[{"name": "Due date", "type": "date"}, {"name": "Promise date", "type": "date"}],
    )
    p1, p2 = new_phone(), new_phone()
    path = write_csv(
        tmp_path / "dates.csv",
        ["Name", "Phone1", "Due date", "Promise date"],
        [["Ana", p1, "25/12/2026", "12/24/2026"], ["Bo", p2, "05/01/2027", "01/04/2027"]],
    )
    options = {"target": {"kind": "lead_list", "name": name}, "template": "dialer-leads"}
    accepted = upload(acme, path, {**options, "default_region": "US"})
    inferred = [
        {"column": "Due date", "order": "DMY", "source": "values", "ambiguous": False},
        {"column": "Promise date", "order": "MDY", "source": "values", "ambiguous": False},
    ]
    assert accepted["detected"]["date_orders"] == inferred
    done = wait_for_status(acme, accepted["id"], {"completed", "failed"})
    assert done["counts"]["imported"] == 2, done
    assert done["date_orders"] == inferred  # in force for the list's two date fields
    custom = {
        lead["data"]["name"]: {c["name"]: c["value"] for c in lead["data"]["custom"]}
        for lead in leads_of(acme, created["id"])
    }
    assert custom == {
        "Ana": {"Due date": "2026-12-25", "Promise date": "2026-12-24"},
        "Bo": {"Due date": "2027-01-05", "Promise date": "2027-01-04"},
    }


def test_an_ambiguous_date_column_is_settled_by_the_region_and_flagged_in_the_preview(
    acme: httpx.Client, tmp_path: Path
) -> None:
    group = unique("Ambiguous dates")
    path = write_csv(
        tmp_path / "ambiguous.csv",
        ["Account number", "First name", "Date of birth"],
        [["AMB-1", "Ann", "03/04/1975"], ["AMB-2", "Ben", "01/02/1980"]],
    )
    accepted = upload(acme, path, {"default_region": "GB"})
    flagged = {"column": "Date of birth", "order": "DMY", "source": "region", "ambiguous": True}
    assert accepted["detected"]["date_orders"] == [flagged]
    assert acme.post(f"/v1/uploads/{accepted['id']}/preview", json={}).status_code == 202
    preview = wait_for_preview(acme, accepted["id"])
    assert preview["date_orders"] == [flagged]
    # The same file from the US reads month first; the operator's option wins over both.
    us = upload(acme, path, {"default_region": "US"})
    assert us["detected"]["date_orders"][0]["order"] == "MDY"
    start = {"target": {"kind": "group", "name": group}}
    assert acme.post(f"/v1/uploads/{accepted['id']}/start", json=start).status_code == 202
    done = wait_for_status(acme, accepted["id"], {"completed", "failed"})
    assert done["counts"]["imported"] == 2, done
    assert births(acme, group) == {"AMB-1": "1975-04-03", "AMB-2": "1980-02-01"}


ACCOUNTS_HEADER = [
    "Customer type",
    "Document type",
    "Document number",
    "First surname",
    "First name",
    "Company name",
    "Phone 1",
    "Email",
    "Social media",
]


def test_the_accounts_template_rejects_each_broken_rule_in_its_own_words(
    acme: httpx.Client, tmp_path: Path
) -> None:
    group = unique("Sagicc accounts")
    path = write_csv(
        tmp_path / "accounts.csv",
        ACCOUNTS_HEADER,
        [
            ["person", "CC", "1001", "Pérez", "Lucía", "", "+57 300 1234567", "", ""],
            ["person", "CC", "", "Gómez", "Ana", "", "+57 300 1234568", "", ""],
            ["person", "CC", "1003", "Ruiz", "Juan", "", "", "", ""],
            ["person", "CC", "1004", "Díaz", "Eva", "", "", "", "@eva"],
            ["person", "CC", "1005", "Soto", "", "", "", "soto@example.co", ""],
            ["company", "NIT", "9006", "", "", "", "+57 601 7654321", "", ""],
            ["company", "NIT", "9007", "", "", "Acme SAS", "", "pagos@acme.example", ""],
        ],
    )
    accepted = upload(
        acme,
        path,
        {
            "template": "accounts",
            "default_region": "CO",
            "target": {"kind": "group", "name": group},
        },
    )
    done = wait_for_status(acme, accepted["id"], {"completed", "failed"})
    assert done["match"]["key"] == "document_number"
    assert done["counts"]["imported"] == 3, done
    assert done["counts"]["errors"] == 4
    reasons = {
        int(r["row_number"]): (r["column"], r["reason"]) for r in report_rows(acme, done["id"])
    }
    assert reasons == {
        2: ("Document number", "required by the accounts template"),
        3: ("", CHANNEL),
        5: ("", PERSON),
        6: ("", COMPANY),
    }
    template = acme.get("/v1/templates/accounts").json()
    assert {CHANNEL, PERSON, COMPANY} <= set(template["rules"])
    assert "Document number" in template["rules"][0]
    book = openpyxl.load_workbook(io.BytesIO(acme.get("/v1/templates/accounts.xlsx").content))
    header = {c.value: c.comment.text if c.comment else "" for c in book.worksheets[0][1]}
    assert CHANNEL in header["Phone 1"] and CHANNEL in header["Social media"]
    assert "required" in header["Document number"]
    assert COMPANY in [row[0] for row in book["Rules"].iter_rows(values_only=True)]


def test_an_accounts_file_without_any_contact_channel_column_is_refused_at_start(
    acme: httpx.Client,
) -> None:
    data = "Customer type,Document type,Document number,First surname,First name\n"
    data += "person,CC,1,Ruiz,Juan\n"
    response = acme.post(
        "/v1/uploads",
        files={"file": ("no-channel.csv", data.encode(), "text/csv")},
        data={"options": json.dumps({"template": "accounts", "target": {"name": "x"}})},
    )
    assert response.status_code == 422, response.text
    assert CHANNEL in response.json()["detail"]


def test_a_file_with_no_mappable_column_gets_a_422_at_start(acme: httpx.Client) -> None:
    data = "Colour,Shoe size\nred,42\nblue,38\n"
    before = [u["id"] for u in acme.get("/v1/uploads", params={"limit": 1}).json()["items"]]
    response = acme.post(
        "/v1/uploads",
        files={"file": ("nothing.csv", data.encode(), "text/csv")},
        data={"options": json.dumps({"target": {"kind": "group", "name": "Nothing"}})},
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["title"] == "No column maps to a field"
    assert "'Colour'" in problem["detail"]
    # Refused before anything was stored.
    after = [u["id"] for u in acme.get("/v1/uploads", params={"limit": 1}).json()["items"]]
    assert after == before
    # An upload waiting for its start is refused the same way when it starts.
    waiting = acme.post(
        "/v1/uploads",
        files={"file": ("nothing.csv", data.encode(), "text/csv")},
        data={"options": "{}"},
    )
    assert waiting.status_code == 202
    started = acme.post(
        f"/v1/uploads/{waiting.json()['id']}/start", json={"target": {"name": "Nothing"}}
    )
    assert started.status_code == 422
    assert started.json()["title"] == "No column maps to a field"


def test_a_file_whose_first_thousand_rows_fail_alike_stops_unless_the_operator_insists(
    acme: httpx.Client, tmp_path: Path
) -> None:
    rows = [["Ann", "not a phone"] for _ in range(1_000)]
    rows += [["Ben", new_phone()] for _ in range(20)]
    path = write_csv(tmp_path / "hopeless.csv", ["First name", "Phone"], rows)
    target = {"kind": "group", "name": unique("Hopeless")}
    stopped = wait_for_status(
        acme, upload(acme, path, {"target": target})["id"], {"completed", "failed"}
    )
    assert stopped["status"] == "failed", stopped
    assert stopped["failure"].startswith(
        "the first 1,000 rows are all invalid for the same reason: "
        "Phone: not a valid phone number for region US"
    )
    assert '"insist": true' in stopped["failure"]
    assert len(report_rows(acme, stopped["id"])) == 1_000
    insisted = wait_for_status(
        acme,
        upload(acme, path, {"target": target, "insist": True})["id"],
        {"completed", "failed"},
    )
    assert insisted["status"] == "completed", insisted
    assert insisted["counts"]["imported"] == 20
    assert insisted["counts"]["errors"] == 1_000
