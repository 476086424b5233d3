"""Killing campaigns mid-send (kill -9) and redelivering ListReady, against the real stack:
every eligible contact ends with exactly one email on the real SMTP server (Mailpit), none
to those without consent, and the campaign completes with stats that add up.

A copy accepted by the server in the one window between its acceptance and the ledger's
SENT mark is sent again after the lease with the same Message-ID: the test counts distinct
Message-IDs per recipient (exactly one each) and bounds the copies by two claim chunks."""

import secrets
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import httpx

from tests.conftest import SEND_LEASE_S, Stack
from tests.integration.contacts_support import run_upload
from tests.integration.leads_helpers import read_upload_events, redeliver
from tests.integration.test_campaign_email import _stats_when_settled, _zone_at_noon

ELIGIBLE = 300
WITHOUT_CONSENT = 20
# Messages per second: 300 take about five seconds, long enough to be killed in the middle.
RATE = 60


def _mailpit_copies(mailpit: str, addresses: set[str]) -> dict[str, list[str]]:
    """Per recipient among `addresses`, the Message-ID of every copy Mailpit holds."""
    copies: dict[str, list[str]] = defaultdict(list)
    with httpx.Client(base_url=mailpit, timeout=30.0) as http:
        start, total = 0, 1
        while start < total:
            page = http.get("/api/v1/messages", params={"start": start, "limit": 1000})
            assert page.status_code == 200, page.text
            body = page.json()
            total = body["messages_count"]
            if not body["messages"]:
                break
            start += len(body["messages"])
            for message in body["messages"]:
                for to in message["To"]:
                    if to["Address"] in addresses:
                        copies[to["Address"]].append(message["MessageID"])
    return copies


def _wait_sent(client: httpx.Client, campaign_id: str, at_least: int) -> dict[str, Any]:
    deadline = time.monotonic() + 180
    stats: dict[str, Any] = {}
    while time.monotonic() < deadline:
        stats = client.get(f"/v1/campaigns/{campaign_id}/stats").json()
        if stats["sent"] >= at_least:
            return stats
        time.sleep(0.1)
    raise AssertionError(f"campaign {campaign_id} never sent {at_least}: {stats}")


def _wait_completed(client: httpx.Client, campaign_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    body: dict[str, Any] = {}
    while time.monotonic() < deadline:
        body = client.get(f"/v1/campaigns/{campaign_id}").json()
        if body["status"] == "completed":
            return body
        time.sleep(0.3)
    raise AssertionError(f"campaign {campaign_id} never completed: {body}")


def test_campaigns_killed_mid_send_and_list_ready_redelivered_send_each_contact_one_email(
    stack: Stack, tmp_path: Path
) -> None:
    run = secrets.token_hex(4)
    group = f"Crash group {run}"
    zone = _zone_at_noon()
    eligible = {f"crash{i}-{run}@example.com" for i in range(ELIGIBLE)}
    refusing = {f"crash-no{i}-{run}@example.com" for i in range(WITHOUT_CONSENT)}
    rows = [
        {
            "first_name": f"Cr{n}",
            "account_number": f"CRS-{run}-{n}",
            "email": address,
            "consent_email": "yes" if address in eligible else "no",
            "time_zone": zone,
        }
        for n, address in enumerate(sorted(eligible | refusing))
    ]
    with stack.client("acme") as acme:
        template = acme.post(
            "/v1/message-templates",
            json={
                "name": f"Crash {run}",
                "channel": "email",
                "subject": "Your account {{ account_number }}",
                "html": "<p>Hello {{ first_name }}</p>",
            },
        )
        assert template.status_code == 201, template.text
        campaign = acme.post(
            "/v1/campaigns",
            json={
                "name": f"Crash {run}",
                "channel": "email",
                "template_id": template.json()["id"],
                "audience": {"groups": [group], "tags": [], "upload_id": None, "filters": {}},
                "trigger": {"on": "list_ready"},
                "send_rate": RATE,
            },
        )
        assert campaign.status_code == 201, campaign.text
        cid = campaign.json()["id"]

        done = run_upload(acme, tmp_path, rows, group=group)
        assert done["status"] == "completed"
        before = _wait_sent(acme, cid, 30)
        stack.campaigns.kill()
        assert before["sent"] < ELIGIBLE, before  # killed in the middle
        stack.campaigns.start()
        stack.campaigns.wait_ready()
        # Messages the dead process held come back once their lease is over.
        _stats_when_settled(acme, cid, len(rows), wait_s=180 + SEND_LEASE_S)

        # ListReady again, twice (an at-least-once redelivery); then a marker upload into
        # the group: once its one new contact is settled, the redeliveries were consumed.
        events = read_upload_events("lists.ready.v1", done["id"], lambda items: len(items) >= 1)
        redeliver("lists.ready.v1", events)
        redeliver("lists.ready.v1", events)
        marker = f"crash-marker-{run}@example.com"
        more = [
            {
                "first_name": "Marker",
                "account_number": f"CRS-{run}-marker",
                "email": marker,
                "consent_email": "yes",
                "time_zone": zone,
            }
        ]
        assert run_upload(acme, tmp_path, more, group=group)["status"] == "completed"
        stats = _stats_when_settled(acme, cid, len(rows) + 1)
        finished = _wait_completed(acme, cid)

    wanted = eligible | {marker}
    copies = _mailpit_copies(stack.mailpit_url, wanted | refusing)
    assert set(copies) == wanted  # every eligible contact, none without consent
    distinct = {address: set(ids) for address, ids in copies.items()}
    assert all(len(ids) == 1 for ids in distinct.values()), {
        a: ids for a, ids in distinct.items() if len(ids) != 1
    }
    assert len(set().union(*distinct.values())) == len(wanted)  # no two share a Message-ID
    # Copies beyond one: only those accepted in the window the kill hit, at most two chunks.
    extra = sum(len(ids) for ids in copies.values()) - len(wanted)
    assert extra <= 2 * RATE, extra
    assert stats["targeted"] == len(rows) + 1
    assert stats["sent"] == len(wanted)
    assert stats["failed"] == 0 and stats["pending"] == 0
    assert {k: v for k, v in stats["suppressed"].items() if v} == {"no_consent": WITHOUT_CONSENT}
    assert finished["finished_at"] is not None
