"""Portal access links on the real stack: an upload's ListReady gives every customer of the
group one link, announced on portal.links.v1; reissue, revoke, settings, tenants apart."""

import asyncio
import secrets
import time
from pathlib import Path
from typing import Any

import httpx
import orjson
from listflow.schemas import topics

from tests.conftest import PROFILE, Stack, upload, wait_for_status
from tests.integration.leads_helpers import _read_until, write_csv


def _links(client: httpx.Client, **params: Any) -> list[dict[str, Any]]:
    response = client.get("/v1/portal/links", params={"limit": 500, **params})
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def _issued(contact_ids: set[str], wait_s: float = 120.0) -> list[dict[str, Any]]:
    def pick(record: Any) -> dict[str, Any] | None:
        headers = {k: v.decode() for k, v in record.headers}
        body: dict[str, Any] = orjson.loads(record.value)
        if body.get("contact_id") not in contact_ids:
            return None
        return {"ce_type": headers["ce_type"], "key": record.key.decode(), **body}

    def done(seen: list[dict[str, Any]]) -> bool:
        return {e["contact_id"] for e in seen if e["ce_type"].endswith("Issued")} >= contact_ids

    return asyncio.run(_read_until(topics.PORTAL_LINKS.name, pick, done, wait_s))


def _group_upload(stack: Stack, tmp_path: Path, rows: int) -> tuple[str, set[str]]:
    acme = stack.client("acme")
    group = f"Portal {secrets.token_hex(3)}"
    tag = secrets.token_hex(3)
    path = write_csv(
        tmp_path / "debtors.csv",
        ["First name", "Last name", "Account number", "Balance", "Date of birth", "Zip code"],
        [
            [f"Ana{i}", "Ruiz", f"PT-{tag}-{i}", "120.50", "1980-05-17", "94103"]
            for i in range(rows)
        ],
    )
    body = upload(
        acme,
        path,
        {"target": {"kind": "group", "name": group}, "match": {"key": "account_number"}},
    )
    done = wait_for_status(acme, body["id"], {"completed"})
    assert done["counts"]["imported"] == rows, done
    contacts = acme.get("/v1/contacts", params={"group": group, "limit": 500}).json()["items"]
    return group, {c["id"] for c in contacts}


def test_list_ready_links_every_customer_once_and_announces_each(
    stack: Stack, tmp_path: Path
) -> None:
    acme = stack.client("acme")
    _, ids = _group_upload(stack, tmp_path, 5)
    assert len(ids) == 5
    events = _issued(ids)
    issued = [e for e in events if e["ce_type"] == "listflow.portal.AccessLinkIssued"]
    assert sorted(e["contact_id"] for e in issued) == sorted(ids)  # one each
    for event in issued:
        assert event["key"] == event["contact_id"]
        token = event["url"].split("/p/", 1)[1]
        assert event["url"] == f"{stack.gateway_url}/p/{token}" and len(token) >= 22
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        # One contact at a time: in a whole run the tenant has more links than a page.
        links = [li for cid in sorted(ids) for li in _links(acme, contact_id=cid)]
        if len(links) == 5:
            break
        time.sleep(0.5)
    assert {li["contact_id"] for li in links} == ids
    assert all(li["url"] is None and not li["revoked"] for li in links)  # token only as hash

    # Nothing on the portal's log carries a token.
    log = (PROFILE.state / "logs" / "portal.log").read_text(errors="replace")
    assert not [e for e in issued if e["url"].split("/p/", 1)[1] in log]


def test_reissue_and_revoke_and_other_tenants_see_nothing(stack: Stack, tmp_path: Path) -> None:
    acme, globex = stack.client("acme"), stack.client("globex")
    _, ids = _group_upload(stack, tmp_path, 2)
    _issued(ids)
    contact = sorted(ids)[0]
    [before] = _links(acme, contact_id=contact)

    # Another tenant neither sees nor touches the link.
    assert _links(globex, contact_id=contact) == []
    response = globex.post(f"/v1/portal/links/{contact}/reissue")
    assert response.status_code == 404, response.text
    assert response.headers["content-type"].startswith("application/problem+json")

    response = acme.post(f"/v1/portal/links/{contact}/reissue")
    assert response.status_code == 201, response.text
    reissued = response.json()
    assert reissued["link_id"] != before["link_id"] and "/p/" in reissued["url"]
    assert acme.post("/v1/portal/links", json={"contact_id": contact}).status_code == 409
    revoked = acme.post(f"/v1/portal/links/{contact}/revoke").json()
    assert revoked["revoked"] is True
    [after] = _links(acme, contact_id=contact)
    assert after["revoked"] and after["link_id"] == reissued["link_id"]
    events = _issued({contact})
    revocations = [e for e in events if e["ce_type"].endswith("AccessLinkRevoked")]
    assert {e["link_id"] for e in revocations} >= {before["link_id"], reissued["link_id"]}


def test_settings_per_tenant_with_bad_input_named(stack: Stack) -> None:
    acme, globex = stack.client("acme"), stack.client("globex")
    defaults = acme.get("/v1/portal/settings").json()
    assert defaults["max_attempts"] == 5 and defaults["link_expiry_days"] == 30
    assert defaults["idv_fields"] == ["date_of_birth", "postcode"]
    chosen = {**defaults, "idv_fields": ["account_last4"], "link_expiry_days": 7}
    response = acme.put("/v1/portal/settings", json=chosen)
    assert response.status_code == 200, response.text
    assert acme.get("/v1/portal/settings").json()["link_expiry_days"] == 7
    assert globex.get("/v1/portal/settings").json()["link_expiry_days"] == 30
    acme.put("/v1/portal/settings", json=defaults)

    bad = acme.put("/v1/portal/settings", json={**defaults, "idv_fields": ["shoe_size"]})
    assert bad.status_code == 422
    assert bad.headers["content-type"].startswith("application/problem+json")
    assert "idv_fields" in bad.text
    assert (
        stack.client("acme").get("/v1/portal/settings", headers={"X-API-Key": "x"}).status_code
        == 401
    )


def test_portal_health_and_documents(stack: Stack) -> None:
    assert httpx.get(f"{stack.portal.url}/readyz").status_code == 200
    openapi = httpx.get(f"{stack.portal.url}/openapi.json").json()
    assert "/v1/portal/links/{contact_id}/reissue" in openapi["paths"]
    asyncapi = httpx.get(f"{stack.portal.url}/asyncapi.json").json()
    channels = orjson.dumps(asyncapi).decode()
    assert topics.PORTAL_LINKS.name in channels and topics.LISTS_READY.name in channels
