"""Triggers against the real stack: a ready group starts its campaign (after the contacts
read model caught up), and a redelivered ListReady claims no contact twice."""

import secrets
import time
from pathlib import Path
from typing import Any

import httpx

from tests.conftest import Stack
from tests.integration.contacts_support import run_upload
from tests.integration.leads_helpers import read_upload_events, redeliver


def _stats_when(
    client: httpx.Client, campaign_id: str, targeted: int, wait_s: float = 120.0
) -> dict[str, Any]:
    deadline = time.monotonic() + wait_s
    stats: dict[str, Any] = {}
    while time.monotonic() < deadline:
        stats = client.get(f"/v1/campaigns/{campaign_id}/stats").json()
        if stats["targeted"] >= targeted:
            return stats
        time.sleep(0.5)
    raise AssertionError(f"campaign {campaign_id} never targeted {targeted}: {stats}")


def test_a_ready_group_starts_its_campaign_once_however_often_list_ready_comes(
    stack: Stack, tmp_path: Path
) -> None:
    group = f"Ready group {secrets.token_hex(3)}"
    rows = [
        {"first_name": f"Bo{i}", "account_number": f"RDY-{group[-6:]}-{i}", "email": f"b{i}@x.io"}
        for i in range(1, 5)
    ]
    with stack.client("acme") as acme, stack.client("globex") as globex:
        template = acme.post(
            "/v1/message-templates",
            json={"name": "R", "channel": "email", "subject": "Hi", "html": "<p>Hi</p>"},
        ).json()["id"]
        audience = {"groups": [group], "tags": [], "upload_id": None, "filters": {}}
        body = {
            "name": "On ready",
            "channel": "email",
            "template_id": template,
            "audience": audience,
            "trigger": {"on": "list_ready"},
        }
        campaign = acme.post("/v1/campaigns", json=body)
        assert campaign.status_code == 201, campaign.text
        cid = campaign.json()["id"]
        theirs_template = globex.post(
            "/v1/message-templates",
            json={"name": "R", "channel": "email", "subject": "Hi", "html": "<p>Hi</p>"},
        ).json()["id"]
        theirs = globex.post("/v1/campaigns", json={**body, "template_id": theirs_template})
        assert theirs.status_code == 201, theirs.text

        done = run_upload(acme, tmp_path, rows, group=group)
        assert done["status"] == "completed"
        stats = _stats_when(acme, cid, 4)
        # The sender runs: none of them gave email consent, so each is pending or suppressed.
        assert stats["targeted"] == 4 == stats["pending"] + stats["suppressed"]["no_consent"]
        started = acme.get(f"/v1/campaigns/{cid}").json()
        # Completed as soon as the sender has settled its four messages.
        assert started["status"] in {"sending", "completed"}
        assert started["targeted_at"] is not None

        events = read_upload_events("lists.ready.v1", done["id"], lambda items: len(items) >= 1)
        redeliver("lists.ready.v1", events)
        redeliver("lists.ready.v1", events)
        # The redeliveries are consumed in order after the original: once a later marker
        # (a second upload into the group with one new contact) is targeted, they were too.
        more = [{"first_name": "Cy", "account_number": f"RDY-{group[-6:]}-9", "email": "c@x.io"}]
        assert run_upload(acme, tmp_path, more, group=group)["status"] == "completed"
        stats = _stats_when(acme, cid, 5)
        assert stats["targeted"] == 5
        # The other tenant's campaign of the same group name never started.
        theirs_now = globex.get(f"/v1/campaigns/{theirs.json()['id']}").json()
        assert theirs_now["status"] == "draft"


def test_a_scheduled_campaign_starts_once_its_time_has_come(stack: Stack) -> None:
    with stack.client("acme") as acme:
        template = acme.post(
            "/v1/message-templates",
            json={"name": "S", "channel": "email", "subject": "Hi", "html": "<p>Hi</p>"},
        ).json()["id"]
        audience = {"groups": ["Nobody yet"], "tags": [], "upload_id": None, "filters": {}}

        def scheduled(at: str) -> str:
            body = {
                "name": f"At {at}",
                "channel": "email",
                "template_id": template,
                "audience": audience,
                "trigger": {"on": "schedule", "at": at},
            }
            created = acme.post("/v1/campaigns", json=body)
            assert created.status_code == 201, created.text
            cid: str = created.json()["id"]
            return cid

        due = scheduled("2026-01-01T09:00:00Z")
        later = scheduled("2099-01-01T09:00:00Z")
        deadline = time.monotonic() + 60
        status = "draft"
        while status == "draft" and time.monotonic() < deadline:
            status = acme.get(f"/v1/campaigns/{due}").json()["status"]
            time.sleep(0.3)
        started = acme.get(f"/v1/campaigns/{due}").json()
        assert started["status"] == "sending" and started["targeted_at"] is not None
        assert acme.get(f"/v1/campaigns/{later}").json()["status"] == "draft"
