"""The console's campaigns and portal pages in a real browser (Debian's Chromium driven by
playwright-core) against the real stack: each test is one run of console/e2e/campaigns.mjs,
whose pages' figures are checked here against the public API and, for the campaign sent,
against the emails on the real SMTP server (Mailpit). Every page state passes axe-core's
WCAG 2.2 AA checks at 1280 wide and at 390x844."""

import csv
import io
import json
import secrets
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import Stack
from tests.e2e.test_console import console_ready, run
from tests.integration.contacts_support import run_upload
from tests.integration.test_campaign_email import (
    _mailpit_messages_to,
    _stats_when_settled,
    _zone_at_noon,
)
from tests.integration.test_unsubscribe import campaign as new_campaign

pytestmark = [pytest.mark.timeout(600), pytest.mark.usefixtures(console_ready.__name__)]


def campaigns_run(stack: Stack, scenario: str, **inputs: Any) -> dict[str, Any]:
    result = run(stack, scenario, script="e2e/campaigns.mjs", **inputs)
    assert result["violations"] == [], json.dumps(result["violations"], indent=1)
    return result


def _contacts(
    api: httpx.Client, tmp_path: Path, group: str, run_id: str, n: int
) -> list[dict[str, str]]:
    """`n` contacts who take email, in a zone where it is about noon, uploaded into `group`."""
    rows = [
        {
            "first_name": "Zoe",
            "last_name": f"Quill{run_id}{i}",
            "account_number": f"CON-{run_id}-{i}",
            "email": f"console-{run_id}-{i}@example.com",
            "balance": f"{100 + i}.50",
            "currency": "EUR",
            "consent_email": "yes",
            "time_zone": _zone_at_noon(),
        }
        for i in range(n)
    ]
    assert run_upload(api, tmp_path, rows, group=group)["status"] == "completed"
    return rows


def _template(api: httpx.Client, name: str, subject: str) -> str:
    created = api.post(
        "/v1/message-templates",
        json={
            "name": name,
            "channel": "email",
            "subject": subject + " {{ account_number }}",
            "html": "<p>Hello {{ first_name }}</p>",
        },
    )
    assert created.status_code == 201, created.text
    tid: str = created.json()["id"]
    return tid


def test_templates_page_creates_previews_counts_segments_and_deletes(
    stack: Stack, tmp_path: Path
) -> None:
    run_id = secrets.token_hex(3)
    with stack.client("console") as api:
        [contact] = _contacts(api, tmp_path, f"Console preview {run_id}", run_id, 1)
        before = api.get("/v1/message-templates").json()["items"]
    result = campaigns_run(
        stack,
        "templates",
        emailName=f"Reminder {run_id}",
        subject="Your account {{ account_number }}",
        smsName=f"Reminder SMS {run_id}",
        contactName=f"Zoe {contact['last_name']}",
        contactQuery=contact["last_name"],
    )
    assert result["empty"] is (before == [])
    # The 422 naming the unknown field is shown under the HTML part.
    assert result["unknownField"] == "Unknown field 'nick_name'"
    with stack.client("console") as api:
        saved = api.get(f"/v1/message-templates/{result['emailId']}").json()
        gone = api.get(f"/v1/message-templates/{result['smsId']}")
        rendered = api.post(
            f"/v1/message-templates/{result['emailId']}/preview",
            json={"values": {"account_number": contact["account_number"]}},
        ).json()
    assert saved["html"].startswith("<p>Hello {{ first_name }}")
    assert result["offered"] == [f"Zoe {contact['last_name']}"]
    # The preview is the chosen contact's, not the sample's.
    assert result["preview"]["subject"] == rendered["subject"]
    assert result["preview"]["subject"] == f"Your account {contact['account_number']}"
    assert "Hello Zoe, your balance is 100.5" in result["preview"]["text"]
    assert result["preview"]["text"].endswith(" EUR.")
    assert result["preview"]["html"] == result["preview"]["text"]  # one sentence in a <p>
    assert result["gsm"] == "1 segment · 6 characters · GSM-7"  # "Hi Ana": the sample's name
    assert result["ucs"].endswith("UTF-16 units · UCS-2") and result["ucs"].startswith("1 segment")
    assert "cannot be undone" in result["question"]
    assert result["keptRows"] == 1  # "Keep it" kept it
    assert gone.status_code == 404  # then the second answer deleted it


def test_a_campaign_created_and_sent_from_the_console_sends_its_emails(
    stack: Stack, tmp_path: Path
) -> None:
    run_id = secrets.token_hex(3)
    group = f"Console send {run_id}"
    subject = f"Console {run_id}"
    with stack.client("console") as api:
        template_id = _template(api, f"Send {run_id}", subject)
        # A list-ready campaign on the group first: once it has targeted the upload's
        # contacts, the campaigns service's read model holds them for the console's send.
        probe_template = _template(api, f"Probe {run_id}", f"Probe {run_id}")
        probe_id = new_campaign(api, f"Probe {run_id}", probe_template, group, "list_ready")
        rows = _contacts(api, tmp_path, group, run_id, 3)
        _stats_when_settled(api, probe_id, len(rows))
        # A slow draft (one email every 10 s) that the page pauses, resumes and cancels
        # while its messages are still open.
        slow_id = new_campaign(api, f"Slow {run_id}", probe_template, group, "manual", 0.1)
        ids = {
            m["contact_id"] for m in api.get(f"/v1/campaigns/{probe_id}/messages").json()["items"]
        }

    result = campaigns_run(
        stack,
        "campaign-send",
        campaign=f"Console campaign {run_id}",
        template=f"Send {run_id}",
        group=group,
        expectedSent=len(rows),
        slowId=slow_id,
        slowName=f"Slow {run_id}",
    )
    assert result["missing"]["name"] == "Give the campaign a name."
    assert result["missing"]["groups"] == "Name at least one group, or an upload."
    assert result["draft"] == "draft"
    with stack.client("console") as api:
        campaign = api.get(f"/v1/campaigns/{result['campaignId']}").json()
        stats = api.get(f"/v1/campaigns/{result['campaignId']}/stats").json()
        ledger = api.get(f"/v1/campaigns/{result['campaignId']}/messages").json()["items"]
        slow_campaign = api.get(f"/v1/campaigns/{slow_id}").json()
        slow_stats = api.get(f"/v1/campaigns/{slow_id}/stats").json()
        slow_ledger = api.get(f"/v1/campaigns/{slow_id}/messages").json()["items"]
    assert campaign["template_id"] == template_id
    assert campaign["audience"]["groups"] == [group]
    assert campaign["send_rate"] == 20
    # Sent to the end: completed, with its finish time on the page.
    assert campaign["status"] == result["status"] == "completed" and campaign["finished_at"]
    assert result["percent"] == "100%"
    assert result["finished"].startswith("Completed ")
    # Its messages as the API lists them: one per contact, all sent; none failed.
    assert [(m["id"], m["state"], m["contact_id"]) for m in ledger] == [
        (m["id"], m["state"], m["contact"]) for m in result["listedMessages"]
    ]
    assert {m["contact_id"] for m in ledger} == ids and {m["state"] for m in ledger} == {"sent"}
    assert result["failedShown"] == 0 and result["sentShown"] == len(rows)
    # The CSV downloaded from the page lists the campaign's contacts, once each.
    file_rows = list(csv.DictReader(io.StringIO(result["campaignFile"].lstrip("\ufeff"))))
    assert result["csvName"] == "campaign-file.csv"
    assert sorted(r["contact_id"] for r in file_rows) == sorted(ids)
    assert sorted(r["email"] for r in file_rows) == sorted(r["email"] for r in rows)
    # The slow one: paused, resumed and cancelled from its page, its messages listed. (The
    # sender hands a pass's messages to SMTP at once and paces the sends, so those of a
    # three-contact campaign are all past cancelling: `cancelled` counts what was still due.)
    assert result["statuses"] == ["sending", "paused", "sending", "cancelled"]
    assert slow_campaign["status"] == "cancelled" and result["commandsLeft"] == 0
    assert result["slowMessages"]["cancelled"] == slow_stats["cancelled"]
    assert result["slowMessages"]["targeted"] == slow_stats["targeted"] == len(rows)
    assert f"+ {slow_stats['cancelled']} cancelled (" in result["slowSum"]
    assert sorted(m["id"] for m in slow_ledger) == sorted(m["id"] for m in result["slowListed"])
    # The page's figures are the API's, and add up.
    assert result["messages"] == {
        "targeted": stats["targeted"],
        "suppressed": sum(stats["suppressed"].values()),
        "pending": stats["pending"],
        "deferred": stats["deferred"],
        "sent": stats["sent"],
        "delivered": stats["delivered"],
        "failed": stats["failed"],
        "cancelled": stats["cancelled"],
        "unsubscribed": stats["unsubscribed"],
    }
    assert stats["targeted"] == stats["sent"] == len(rows) and stats["failed"] == 0
    assert result["sum"].startswith("3 targeted = 0 suppressed + 3 sent + 0 failed + 0 pending")
    shown_reasons = {k.replace(" ", "_"): v for k, v in result["byReason"].items()}
    assert shown_reasons == stats["suppressed"]
    assert result["listed"][0] == f"Console campaign {run_id}"
    assert result["listed"][2] == "Completed" and result["listed"][5] == "3"
    # The emails are on the real SMTP server, one per contact.
    addresses = {r["email"] for r in rows}
    emails = [
        m
        for m in _mailpit_messages_to(stack.mailpit_url, addresses)
        if m["Subject"].startswith(subject + " ")
    ]
    assert sorted(to["Address"] for m in emails for to in m["To"]) == sorted(addresses)
    assert {m["Subject"] for m in emails} == {f"{subject} {r['account_number']}" for r in rows}


def test_a_suppression_is_added_listed_with_its_history_and_settings_are_saved(
    stack: Stack,
) -> None:
    address = f"stop-{secrets.token_hex(4)}@example.com"
    with stack.client("console") as api:
        before = api.get("/v1/campaign-settings").json()
    help_text = f"Listflow help {secrets.token_hex(2)}: call 0800 000 000. Reply STOP to stop."
    try:
        result = campaigns_run(
            stack,
            "suppressions",
            address=address,
            opens="09:30",
            closes="20:00",
            cap=4,
            help=help_text,
        )
        with stack.client("console") as api:
            listed = api.get("/v1/suppressions", params={"channel": "email", "limit": 1000}).json()
            settings = api.get("/v1/campaign-settings").json()
    finally:
        with stack.client("console") as api:
            assert api.put("/v1/campaign-settings", json=before).status_code == 200
    assert result["blank"] == "Write the email address."
    assert result["cells"][:3] == [address, "Email", "Unsubscribed"]
    [stored] = [s for s in listed["items"] if s["address"] == address]
    assert stored["reason"] == "unsubscribed" and result["cells"][4] == stored["by"]
    assert [c[1:3] for c in result["changes"]] == [["Suppressed", "Unsubscribed"]]
    assert result["window"] == "Sending must close after it opens."
    assert settings == {
        **before,
        "quiet_hours_start": "09:30",
        "quiet_hours_end": "20:00",
        "frequency_cap_messages": 4,
        "sms_help_text": help_text,
    }


def test_portal_settings_are_saved_and_payments_exported(stack: Stack) -> None:
    with stack.client("console") as api:
        before = api.get("/v1/portal/settings").json()
    try:
        result = campaigns_run(stack, "portal", expiry=45)
        with stack.client("console") as api:
            settings = api.get("/v1/portal/settings").json()
            csv = api.get("/v1/portal/payments.csv").text
    finally:
        with stack.client("console") as api:
            assert api.put("/v1/portal/settings", json=before).status_code == 200
    assert result["instalments"] == "Whole numbers from 2 to 60, such as 3, 6, 12."
    assert settings["idv_fields"] == ["date_of_birth", "account_last4"]
    assert settings["link_expiry_days"] == 45
    assert settings["payment_plans"] is False
    assert settings["plan_instalments"] == [3, 6]
    assert result["shown"] == {
        "postcode": False,
        "account": True,
        "expiry": "45",
        "plans": False,
        "instalments": "3, 6",
    }
    assert result["csvName"] == "payments.csv"
    assert result["csv"] == csv
