"""The console's management pages in real Chromium against the real stack: a contact added
and edited, the groups and tags pages, the import templates and saved mappings page, and a
campaign's messages table at tablet and phone width. Each test is one run of
console/e2e/manage.mjs, what its pages showed checked against the public API; every page
state passes axe-core's WCAG 2.2 AA checks."""

import json
import secrets
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Stack
from tests.e2e.test_console import console_ready, run
from tests.e2e.test_console_campaigns import _contacts, _template
from tests.e2e.test_console_contacts import word
from tests.integration.contacts_support import run_upload
from tests.integration.leads_helpers import new_phone, unique
from tests.integration.test_campaign_email import _stats_when_settled
from tests.integration.test_unsubscribe import campaign as new_campaign

pytestmark = [pytest.mark.timeout(600), pytest.mark.usefixtures(console_ready.__name__)]


def manage_run(stack: Stack, scenario: str, **inputs: Any) -> dict[str, Any]:
    result = run(stack, scenario, script="e2e/manage.mjs", **inputs)
    assert result["violations"] == [], json.dumps(result["violations"], indent=1)
    assert result["pageErrors"] == []
    return result


def test_a_contact_added_then_edited_with_each_refusal_by_its_field(stack: Stack) -> None:
    group, tag, surname = unique("Form group"), unique("Form tag"), word()
    phone, account = new_phone(), f"CF-{secrets.token_hex(4)}"
    email, email2 = f"ines.{surname.lower()}@example.com", f"ines@{surname.lower()}.example"
    with stack.client("console") as api:
        group_id = api.post("/v1/groups", json={"name": group}).json()["id"]
        assert api.post("/v1/tags", json={"name": tag}).status_code == 201
    result = manage_run(
        stack,
        "contact-form",
        surname=surname,
        phone=phone,
        account=account,
        email=email,
        email2=email2,
        group=group,
        tag=tag,
    )
    # The wrong phone: the API's reason under the phones, the form kept, nothing stored.
    refused = result["refused"]
    assert refused["url"] == "/contacts/new"
    assert refused["phones"] and refused["phones"].startswith("Item 1: ")
    with stack.client("console") as api:
        found = api.get("/v1/contacts", params={"name": surname}).json()["items"]
    assert len(found) == 1, "only the second submission stored a contact"
    stored = found[0]
    assert stored["id"] == result["created"]["id"] == result["edited"]["id"]

    created = result["created"]
    assert created["heading"] == f"Inés {surname}"
    assert phone in created["contacts"] and email in created["contacts"]
    assert created["accounts"][1] == [account, "250.75 EUR", "–"]
    assert group in created["groups"]
    consents = {row[0]: row[1] for row in created["consents"][1:]}
    assert consents == {"Email": "Not recorded", "SMS": "Given", "Calls": "Not recorded"}
    assert ["SSN", "•••• 6789"] in created["details"]
    assert "123-45-6789" not in created["text"]

    # Editing starts with the SSN blank (only its last four shown) and keeps it so.
    assert result["ssnBox"]["value"] == ""
    assert "•••• 6789" in result["ssnBox"]["hint"]
    assert result["editRefused"], "the bad date of birth is refused under its field"
    edited = result["edited"]
    data = stored["data"]
    assert stored["version"] == 2  # created, then one edit (the refused one changed nothing)
    assert data["emails"] == [email, email2] and data["city"] == "Sevilla"
    assert data["date_of_birth"] == "1990-05-17"
    assert data["tags"] == [tag] and stored["group_ids"] == [group_id]
    assert data["consents"] == {"email": False, "sms": True, "call": None}
    assert data["ssn"]["last4"] == "6789"
    assert [a["number"] for a in data["accounts"]] == [account]
    assert {s["channel"]: s["source"] for s in stored["consent_sources"]} == {
        "email": "api",
        "sms": "api",
    }
    assert tag in edited["tags"] and "Sevilla" in edited["text"]
    assert email2 in edited["contacts"]
    assert {row[0]: row[1] for row in edited["consents"][1:]}["Email"] == "Refused"


def test_groups_and_tags_are_created_described_and_deleted_after_asking(
    stack: Stack, tmp_path: Path
) -> None:
    group, full_group = unique("Page group"), unique("Full group")
    tag, used_tag = unique("Page tag"), unique("Used tag")
    with stack.client("console") as api:
        assert api.post("/v1/tags", json={"name": used_tag}).status_code == 201
        rows = [
            {
                "first_name": "Lia",
                "last_name": word(),
                "account_number": f"GT-{secrets.token_hex(4)}",
            }
            for _ in range(2)
        ]
        assert run_upload(api, tmp_path, rows, group=full_group, tags=[used_tag])["status"] == (
            "completed"
        )
        full_id = api.get(f"/v1/groups/{full_group}").json()["id"]
        members = api.get("/v1/contacts", params={"group": full_id}).json()["items"]
    assert len(members) == 2
    result = manage_run(
        stack, "labels", group=group, fullGroup=full_group, tag=tag, usedTag=used_tag
    )
    assert result["created"] == f'Created the group "{group}".'
    assert result["taken"] and "exists" in result["taken"]
    assert "name stays" in result["renameHint"]
    # The group's link opens the contacts search of that group.
    assert result["groupSearch"] == {"total": "Showing 1–2 of 2", "chosen": full_group}
    assert f"Delete {full_group}?" in result["question"] and "contacts stay" in result["question"]
    assert result["keptRows"] == 1 and result["leftRows"] == 0
    assert result["deleted"] == f'Deleted the group "{full_group}"; 2 contacts taken out of it.'
    assert result["badTag"] and ", ; or |" in result["badTag"]
    assert result["tagDeleted"] == f'Deleted the tag "{used_tag}"; 2 contacts lost it.'
    with stack.client("console") as api:
        made = api.get(f"/v1/groups/{group}").json()
        assert made["description"] == "Described in the console"
        assert api.get(f"/v1/groups/{full_id}").status_code == 404
        assert api.get(f"/v1/tags/{tag}").status_code == 200
        assert api.get(f"/v1/tags/{used_tag}").status_code == 404
        after = [api.get(f"/v1/contacts/{c['id']}").json() for c in members]
    # The contacts stay, out of the group and without the tag.
    assert [c["group_ids"] for c in after] == [[], []]
    assert [c["data"]["tags"] for c in after] == [[], []]


def test_templates_download_and_saved_mappings_are_viewed_renamed_and_deleted(
    stack: Stack,
) -> None:
    mapping, other, renamed = unique("Map"), unique("Other map"), unique("Renamed map")
    columns = {"Tel": "phone", "Correo": "email", "Nombre": "first_name"}
    with stack.client("console") as api:
        made = api.post("/v1/mappings", json={"name": mapping, "columns": columns})
        assert made.status_code == 201, made.text
        assert api.post("/v1/mappings", json={"name": other, "columns": {"X": "phone"}}).is_success
        templates = api.get("/v1/templates").json()["items"]
        first_csv = api.get(f"/v1/templates/{templates[0]['name']}.csv").text
    result = manage_run(stack, "mappings", mapping=mapping, other=other, renamed=renamed)
    assert result["templates"] == [t["name"] for t in templates]
    assert result["csvName"] == f"{templates[0]['name']}.csv" and result["csv"] == first_csv
    assert result["columns"] == [["Tel", "Phone"], ["Correo", "Email"], ["Nombre", "First name"]]
    assert result["taken"] and other in result["taken"]
    assert result["renamed"] == f'Renamed "{mapping}" to "{renamed}".'
    assert f"Delete {other}?" in result["question"]
    assert renamed in result["names"] and other not in result["names"]
    with stack.client("console") as api:
        stored = api.get(f"/v1/mappings/{made.json()['id']}").json()
        names = [m["name"] for m in api.get("/v1/mappings", params={"limit": 200}).json()["items"]]
    assert stored["name"] == renamed and stored["columns"] == columns
    assert other not in names and mapping not in names


def test_the_campaign_messages_table_fits_a_tablet_and_a_phone(
    stack: Stack, tmp_path: Path
) -> None:
    run_id = secrets.token_hex(3)
    group = f"Narrow {run_id}"
    with stack.client("console") as api:
        template_id = _template(api, f"Narrow {run_id}", f"Narrow {run_id}")
        campaign_id = new_campaign(api, f"Narrow {run_id}", template_id, group, "list_ready")
        rows = _contacts(api, tmp_path, group, run_id, 3)
        _stats_when_settled(api, campaign_id, len(rows))
    result = manage_run(stack, "messages-narrow", campaignId=campaign_id)
    for size in ("tablet", "phone"):
        seen = result[size]
        assert seen["rows"] == len(rows), (size, seen)
        assert seen["boxScrolls"] is False and seen["tableWider"] is False, (size, seen)
        assert seen["pageScrolls"] is False, (size, seen)
    # Below the lg breakpoint attempts and the time sent move under the contact.
    assert result["tablet"]["headers"] == ["Contact", "State", "Why", "Actions"]
