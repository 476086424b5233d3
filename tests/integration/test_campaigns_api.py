"""Campaigns through the gateway against the real stack: a draft's life, the commands'
states, tenancy, malformed requests as 422 problems, settings per tenant, and targeting
from the read model the campaigns service keeps of contacts.changes.v1."""

import secrets
import time
from pathlib import Path
from typing import Any

import httpx

from tests.conftest import Stack
from tests.integration.contacts_support import run_upload

EMAIL_TEMPLATE = {
    "name": "Reminder",
    "channel": "email",
    "subject": "Your account {{ account_number }}",
    "html": "<p>Hello {{ first_name }}, pay here: {{ portal_url }}</p>",
}


def _template(client: httpx.Client, channel: str = "email") -> str:
    body = EMAIL_TEMPLATE if channel == "email" else {"name": "S", "channel": "sms", "body": "Hi"}
    created = client.post("/v1/message-templates", json=body)
    assert created.status_code == 201, created.text
    tid: str = created.json()["id"]
    return tid


def _campaign(template_id: str, group: str = "March list", **changes: Any) -> dict[str, Any]:
    return {
        "name": "March reminders",
        "channel": "email",
        "template_id": template_id,
        "audience": {"groups": [group], "tags": [], "upload_id": None, "filters": {}},
        "trigger": {"on": "list_ready"},
        **changes,
    }


def _problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    return body


def test_a_draft_is_created_read_listed_updated_and_deleted(stack: Stack) -> None:
    with stack.client("acme") as acme:
        tid = _template(acme)
        created = acme.post("/v1/campaigns", json=_campaign(tid))
        assert created.status_code == 201, created.text
        body = created.json()
        assert (body["status"], body["trigger"]["on"], body["send_rate"]) == (
            "draft",
            "list_ready",
            100.0,
        )
        cid = body["id"]
        assert acme.get(f"/v1/campaigns/{cid}").json()["name"] == "March reminders"
        assert cid in [c["id"] for c in acme.get("/v1/campaigns").json()["items"]]
        # Far ahead: a time already past is due at once, and the start loop would send it.
        at = "2099-03-01T09:00:00Z"
        updated = acme.put(
            f"/v1/campaigns/{cid}",
            json=_campaign(tid, name="April", trigger={"on": "schedule", "at": at}),
        )
        assert updated.status_code == 200, updated.text
        assert updated.json()["name"] == "April"
        assert updated.json()["trigger"]["at"].startswith("2099-03-01T09:00:00")
        assert acme.delete(f"/v1/campaigns/{cid}").status_code == 204
        _problem(acme.get(f"/v1/campaigns/{cid}"), 404)


def test_commands_move_a_campaign_only_from_the_states_they_allow(stack: Stack) -> None:
    with stack.client("acme") as acme:
        cid = acme.post("/v1/campaigns", json=_campaign(_template(acme))).json()["id"]
        _problem(acme.post(f"/v1/campaigns/{cid}/pause"), 409)
        sent = acme.post(f"/v1/campaigns/{cid}/send")
        assert sent.status_code == 200, sent.text
        assert sent.json()["status"] == "sending" and sent.json()["targeted_at"] is not None
        _problem(acme.post(f"/v1/campaigns/{cid}/send"), 409)
        _problem(acme.delete(f"/v1/campaigns/{cid}"), 409)
        _problem(acme.post(f"/v1/campaigns/{cid}/resume"), 409)
        assert acme.post(f"/v1/campaigns/{cid}/pause").json()["status"] == "paused"
        assert acme.post(f"/v1/campaigns/{cid}/resume").json()["status"] == "sending"
        assert acme.post(f"/v1/campaigns/{cid}/cancel").json()["status"] == "cancelled"
        _problem(acme.post(f"/v1/campaigns/{cid}/cancel"), 409)
        stats = acme.get(f"/v1/campaigns/{cid}/stats")
        assert stats.status_code == 200
        assert set(stats.json()) == {
            "targeted",
            "suppressed",
            "deferred",
            "pending",
            "sent",
            "delivered",
            "failed",
            "unsubscribed",
            "cancelled",  # open messages a cancel settled (DESIGN.md's shape, extended)
        }


def test_bad_campaigns_are_422_problems_naming_the_cause(stack: Stack) -> None:
    with stack.client("acme") as acme, stack.client("globex") as globex:
        tid = _template(acme)
        sms_tid = _template(acme, "sms")
        other_tenants = _template(globex)
        for body, field in (
            (_campaign("no-such-template"), "template_id"),
            (_campaign(sms_tid), "template_id"),
            (_campaign(other_tenants), "template_id"),
            (_campaign(tid, audience={"groups": [], "filters": {}}), "audience"),
        ):
            assert _problem(acme.post("/v1/campaigns", json=body), 422).get("field") == field
        for malformed in (
            _campaign(tid, trigger={"on": "schedule"}),
            _campaign(tid, trigger={"on": "schedule", "at": "2026-03-01T09:00:00"}),
            _campaign(tid, send_rate=0),
            _campaign(tid, channel="fax"),
            _campaign(tid, audience={"groups": ["a\u0000b"]}),
            _campaign(tid, audience={"groups": ["g"], "filters": {"balance_min": "NaN"}}),
            {**_campaign(tid), "surprise": 1},
        ):
            _problem(acme.post("/v1/campaigns", json=malformed), 422)


def test_one_tenant_never_sees_or_commands_anothers_campaigns(stack: Stack) -> None:
    with stack.client("acme") as acme, stack.client("globex") as globex:
        cid = acme.post("/v1/campaigns", json=_campaign(_template(acme))).json()["id"]
        assert cid not in [c["id"] for c in globex.get("/v1/campaigns").json()["items"]]
        _problem(globex.get(f"/v1/campaigns/{cid}"), 404)
        _problem(globex.get(f"/v1/campaigns/{cid}/stats"), 404)
        for command in ("send", "pause", "resume", "cancel"):
            _problem(globex.post(f"/v1/campaigns/{cid}/{command}"), 404)
        _problem(globex.delete(f"/v1/campaigns/{cid}"), 404)
        assert acme.get(f"/v1/campaigns/{cid}").json()["status"] == "draft"
    assert httpx.get(f"{stack.gateway_url}/v1/campaigns").status_code == 401


def test_settings_are_the_defaults_until_a_tenant_sets_its_own(stack: Stack) -> None:
    with stack.client("globex") as globex, stack.client("console") as other:
        defaults = other.get("/v1/campaign-settings")
        assert defaults.status_code == 200, defaults.text
        assert defaults.json() == {
            "quiet_hours_start": "08:00",
            "quiet_hours_end": "21:00",
            "frequency_cap_messages": 7,
            "frequency_cap_days": 7,
            "sms_help_text": defaults.json()["sms_help_text"],
        }
        mine = {
            "quiet_hours_start": "09:30",
            "quiet_hours_end": "20:00",
            "frequency_cap_messages": 3,
            "frequency_cap_days": 5,
            "sms_help_text": "Globex collections: call 0800 000 000.",
        }
        put = globex.put("/v1/campaign-settings", json=mine)
        assert put.status_code == 200, put.text
        assert globex.get("/v1/campaign-settings").json() == mine
        assert other.get("/v1/campaign-settings").json() == defaults.json()
        for bad in (
            {**mine, "quiet_hours_start": "22:00"},
            {**mine, "quiet_hours_end": "24:00"},
            {**mine, "frequency_cap_messages": 0},
            {**mine, "sms_help_text": ""},
        ):
            _problem(globex.put("/v1/campaign-settings", json=bad), 422)
        assert globex.get("/v1/campaign-settings").json() == mine


def test_sending_targets_every_contact_of_the_group_once_from_the_read_model(
    stack: Stack, tmp_path: Path
) -> None:
    group = f"Campaign group {secrets.token_hex(3)}"
    rows = [
        {
            "first_name": f"Ana{i}",
            "account_number": f"CMP-{group[-6:]}-{i}",
            "email": f"ana{i}@example.com",
            "balance": str(10 * i),
        }
        for i in range(1, 6)
    ]
    with stack.client("acme") as acme, stack.client("globex") as globex:
        assert run_upload(acme, tmp_path, rows, group=group)["status"] == "completed"
        tid = _template(acme)
        # The read model follows contacts.changes.v1: send fresh drafts until it has caught
        # up with the upload (each send claims what the read model holds at the time).
        deadline = time.monotonic() + 120
        targeted = 0
        while targeted < 5 and time.monotonic() < deadline:
            cid = acme.post("/v1/campaigns", json=_campaign(tid, group, trigger={"on": "now"}))
            assert cid.status_code == 201, cid.text
            targeted = acme.get(f"/v1/campaigns/{cid.json()['id']}/stats").json()["targeted"]
            time.sleep(0.5)
        stats = acme.get(f"/v1/campaigns/{cid.json()['id']}/stats").json()
        assert stats["targeted"] == 5
        assert stats["targeted"] == (
            sum(stats["suppressed"].values()) + stats["sent"] + stats["failed"] + stats["pending"]
        )
        filtered = _campaign(
            tid, group, trigger={"on": "now"}, audience={"groups": [group], "filters": {}}
        )
        filtered["audience"]["filters"] = {"balance_min": "25", "balance_max": "45"}
        narrow = acme.post("/v1/campaigns", json=filtered).json()["id"]
        assert acme.get(f"/v1/campaigns/{narrow}/stats").json()["targeted"] == 2  # 30 and 40
        # The same group name in another tenant is another group: nothing to target.
        theirs = globex.post(
            "/v1/campaigns", json=_campaign(_template(globex), group, trigger={"on": "now"})
        )
        assert theirs.status_code == 201, theirs.text
        assert globex.get(f"/v1/campaigns/{theirs.json()['id']}/stats").json()["targeted"] == 0


def test_the_asyncapi_document_names_what_campaigns_consumes_and_publishes(stack: Stack) -> None:
    document = httpx.get(f"{stack.campaigns.url}/asyncapi.json").json()
    assert document["asyncapi"].startswith("3.")
    channels = {c["address"] for c in document["channels"].values()}
    assert {
        "contacts.changes.v1",
        "portal.links.v1",
        "lists.ready.v1",
        "campaigns.messages.v1",
    } <= channels
    schemas = document["components"]["schemas"]
    for event in ("MessageSent", "MessageFailed", "MessageSuppressed", "MessageDelivered"):
        assert event in schemas, sorted(schemas)
    assert "reason" in schemas["MessageSuppressed"]["properties"]
