"""The console's contacts pages, the wizard's dialer-list target with saved mappings, one
record by hand and the tables at tablet width, in real Chromium against the real stack: each
scenario is one run of console/e2e/contacts.mjs, its pages' figures checked against the API."""

import json
import secrets
import string
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import Stack, upload, wait_for_status

# The module, not its names: importing its test functions would collect them here again.
from tests.e2e import test_console as console_e2e
from tests.integration.leads_helpers import (
    create_campaign,
    create_list,
    leads_of,
    new_phone,
    unique,
    wait_until,
    write_csv,
)

pytestmark = pytest.mark.timeout(600)
SCRIPT = "e2e/contacts.mjs"


def word() -> str:
    """A made-up surname, letters only, so a whole-word name search finds this run's contact."""
    return "".join(secrets.choice(string.ascii_lowercase) for _ in range(9)).capitalize()


def leads_once_written(api: httpx.Client, list_id: str, expected: int) -> list[dict[str, Any]]:
    """The list's leads once the leads service has written `expected` of them (bounded)."""
    wait_until(lambda: len(leads_of(api, list_id)) >= expected)
    return leads_of(api, list_id)


def test_contacts_search_pages_totals_and_a_contact_with_masked_ids(
    stack: Stack, tmp_path: Path
) -> None:
    group, tag, surname = unique("Console contacts"), unique("Console tag"), word()
    prefix = f"CC{secrets.token_hex(3).upper()}-"
    rows = [
        ["Ximena", surname, new_phone(), f"x.{surname.lower()}@example.com", f"{prefix}0",
         "1234.5", "EUR", "123-45-6789", "yes"],
    ] + [
        [f"Person{i}", "Filler", new_phone(), "", f"{prefix}{i}", "", "", "", ""]
        for i in range(1, 30)
    ]  # fmt: skip
    path = write_csv(
        tmp_path / "contacts.csv",
        ["First name", "Last name", "Phone", "Email", "Account number", "Balance", "Currency",
         "SSN", "SMS consent"],
        rows,
    )  # fmt: skip
    with stack.client("console") as api:
        assert api.post("/v1/tags", json={"name": tag}).status_code == 201
        started = upload(
            api,
            path,
            {
                "target": {"kind": "group", "name": group},
                "default_region": "US",
                "match": {"key": "account_number"},
                "mapping": {"SMS consent": "consent_sms", "SSN": "ssn"},
                "tags": [tag],
            },
        )
        done = wait_for_status(api, started["id"], {"completed"})
        assert done["counts"]["imported"] == 30, done["counts"]
        group_id = api.get(f"/v1/groups/{group}").json()["id"]
        everyone = api.get("/v1/contacts", params={"group": group_id, "limit": 100}).json()
        exported = api.get(f"/v1/groups/{group_id}/export.csv").text
        problem = api.get("/v1/contacts", params={"phone": "12"}).json()
    ximena = next(c for c in everyone["items"] if c["data"]["last_name"] == surname)
    result = console_e2e.run(stack, "contacts", script=SCRIPT, group=group, count=30, name=surname)

    # Pages of 25, by cursor, forth and back; together every contact of the group once.
    assert len(result["first"]) == 25 and len(result["second"]) == 5
    assert result["back"] == result["first"]
    shown = [r["id"] for r in result["first"] + result["second"]]
    assert sorted(shown) == sorted(c["id"] for c in everyone["items"])
    assert result["exported"] == exported and result["exportName"].endswith(".csv")
    assert "No contact matches" in result["empty"]
    assert result["phoneProblem"], "the phone's problem is shown under the phone field"
    assert problem["errors"][0]["message"].lower() in result["phoneProblem"].lower()
    assert [r["id"] for r in result["found"]] == [ximena["id"]] == [result["detail"]["id"]]

    detail = result["detail"]
    assert detail["heading"] == f"Ximena {surname}"
    assert ["SSN", "•••• 6789"] in detail["details"]
    # National ids appear by their last four digits only: never in clear, never the hash.
    assert "123-45-6789" not in detail["text"] and "123456789" not in detail["text"]
    assert ximena["data"]["ssn"]["hash"] not in detail["text"]
    assert detail["accounts"][1] == [f"{prefix}0", "1,234.50 EUR", "–"]
    sms = next(s for s in ximena["consent_sources"] if s["channel"] == "sms")
    assert sms["source"] == "upload" and sms["upload_id"] == started["id"]
    consents = {row[0]: row[1:] for row in detail["consents"][1:]}
    assert consents["SMS"][0] == "Given"
    assert consents["SMS"][1].startswith(f"an upload, row {sms['row_number']},")
    assert consents["Email"] == ["Not recorded", "–"]
    assert detail["uploadLink"] == f"/uploads/{started['id']}"
    assert group in detail["groups"] and tag in detail["tags"]
    assert ximena["held_until"] is None and "On hold" not in detail["text"]
    # Deleted only once confirmed: the question names the contact, "Keep it" keeps it.
    assert f"Delete Ximena {surname}?" in result["question"]
    assert result["keptUrl"] == f"/contacts/{ximena['id']}"
    with stack.client("console") as api:
        assert api.get(f"/v1/contacts/{ximena['id']}").status_code == 404
    assert result["violations"] == [], json.dumps(result["violations"], indent=1)


def test_wizard_fills_an_existing_dialer_list_with_a_saved_mapping(
    stack: Stack, tmp_path: Path
) -> None:
    list_name, mapping, save_as = unique("Wizard list"), unique("Kolumna"), unique("Saved")
    phones = [new_phone() for _ in range(3)]
    path = write_csv(
        tmp_path / "leads.csv",
        ["Nombre", "Kolumna X"],
        [["Ana", phones[0]], ["Bo", phones[1]], ["Cy", phones[2]]],
    )
    with stack.client("console") as api:
        lead_list = create_list(api, list_name)
        saved = api.post("/v1/mappings", json={"name": mapping, "columns": {"Kolumna X": "phone"}})
        assert saved.status_code == 201, saved.text
    result = console_e2e.run(
        stack,
        "wizard-lead-list",
        script=SCRIPT,
        file=str(path),
        phoneColumn="Kolumna X",
        mapping=mapping,
        saveAs=save_as,
        list=list_name,
    )
    assert result["before"] != "Phone" and result["after"] == "Phone"
    assert "1 column" in result["appliedNote"]
    assert result["contactPolicies"] == 0  # a lead list has no contact match policies
    with stack.client("console") as api:
        stored = [m for m in api.get("/v1/mappings").json()["items"] if m["name"] == save_as]
        final = api.get(f"/v1/uploads/{result['uploadId']}").json()
        leads = leads_once_written(api, lead_list["id"], 3)
    assert len(stored) == 1 and stored[0]["columns"]["Kolumna X"] == "phone"
    assert final["target"]["kind"] == "lead_list" and final["target"]["id"] == lead_list["id"]
    assert final["status"] == "completed" and final["counts"]["imported"] == 3
    assert result["summary"]["imported"] == final["counts"]["imported"]
    assert result["summary"]["errors"] == final["counts"]["errors"] == 0
    assert sorted(lead["data"]["phones"][0]["e164"] for lead in leads) == sorted(phones)
    assert result["violations"] == [], json.dumps(result["violations"], indent=1)


def test_one_contact_and_one_lead_by_hand(stack: Stack) -> None:
    group, list_name = unique("By hand"), unique("By hand list")
    account, phone, lead_phone = f"BH-{secrets.token_hex(4)}", new_phone(), new_phone()
    with stack.client("console") as api:
        lead_list = create_list(api, list_name)
    result = console_e2e.run(
        stack,
        "by-hand",
        script=SCRIPT,
        group=group,
        account=account,
        phone=phone,
        list=list_name,
        leadPhone=lead_phone,
    )
    # A bad phone is refused before anything is stored, with the reason under the field.
    assert result["refused"]["url"] in {"/", "/upload"}  # still on the wizard
    assert result["refused"]["phone"] and "phone" in result["refused"]["alert"].lower()
    assert "Account number" not in result["leadFields"] and "Phone" in result["leadFields"]
    with stack.client("console") as api:
        contact_upload = api.get(f"/v1/uploads/{result['contactUpload']}").json()
        contacts = api.get("/v1/contacts", params={"group": group}).json()["items"]
        lead_upload = api.get(f"/v1/uploads/{result['leadUpload']}").json()
        leads = leads_once_written(api, lead_list["id"], 1)
    assert contact_upload["counts"]["imported"] == result["contactSummary"]["imported"] == 1
    assert [c["data"]["accounts"][0]["number"] for c in contacts] == [account]
    assert contacts[0]["data"]["phones"][0]["e164"] == phone
    assert lead_upload["target"]["id"] == lead_list["id"]
    assert lead_upload["counts"]["imported"] == result["leadSummary"]["imported"] == 1
    assert [lead["data"]["phones"][0]["e164"] for lead in leads] == [lead_phone]
    assert result["violations"] == [], json.dumps(result["violations"], indent=1)


def test_lead_lists_and_uploads_tables_fit_a_tablet(stack: Stack) -> None:
    campaign_name, list_name = unique("Tablet campaign"), unique("Tablet list with a long name")
    with stack.client("console") as api:
        campaign = create_campaign(api, campaign_name)
        lead_list = create_list(api, list_name)
        assigned = api.put(f"/v1/lead-lists/{lead_list['id']}/campaigns/{campaign['id']}")
        assert assigned.status_code == 200, assigned.text
        # An upload with a long target name, so the history has a row to lay out.
        target = {"kind": "group", "name": unique("Tablet uploads into a group with a long name")}
        wait_for_status(
            api, upload(api, console_e2e.EXAMPLE, {"target": target})["id"], {"completed"}
        )
    result = console_e2e.run(
        stack, "tablet", script=SCRIPT, listId=lead_list["id"], campaign=campaign_name
    )
    for table in ("lists", "uploads"):
        seen = result[table]
        assert seen["boxScrolls"] is False and seen["tableWider"] is False, (table, seen)
        assert seen["pageScrolls"] is False, (table, seen)
    assert result["lists"]["headers"] == ["List", "Enabled", "Leads"]
    assert result["uploads"]["headers"] == ["File", "Status", "Imported", "Errors"]
    assert result["campaignShown"] is True  # the campaigns move under the list's name
    assert result["violations"] == [], json.dumps(result["violations"], indent=1)
