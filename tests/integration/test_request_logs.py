"""Request log lines name the route, never the path: a phone number in `DELETE /v1/dnc/{phone}`
(or in a query, or in a path no route serves) reaches no service's log."""

import json
from pathlib import Path

import httpx

from tests.conftest import PROFILE, Stack
from tests.integration.leads_helpers import create_list, new_phone, unique


def _sizes() -> dict[Path, int]:
    return {p: p.stat().st_size for p in (PROFILE.state / "logs").glob("*.log")}


def _written_since(sizes: dict[Path, int]) -> dict[str, str]:
    """What each service log gained since `sizes` (the files outlive a test run)."""
    written = {}
    for path in (PROFILE.state / "logs").glob("*.log"):
        with path.open("rb") as f:
            f.seek(sizes.get(path, 0))
            written[path.name] = f.read().decode(errors="replace")
    return written


def _request_lines(log: str) -> list[dict[str, object]]:
    lines = [json.loads(x) for x in log.splitlines() if x.startswith("{")]
    return [x for x in lines if x.get("message") == "http request"]


def test_request_logs_carry_route_templates_and_no_phone_number(stack: Stack) -> None:
    phone = new_phone()
    before = _sizes()
    with stack.client("acme") as client:
        assert client.post("/v1/dnc", json={"phones": [phone]}).status_code == 201
        assert client.delete(f"/v1/dnc/{phone}").status_code == 204
        assert client.delete(f"/v1/dnc/{phone}").status_code == 404
        assert client.get("/v1/dnc", params={"phone": phone}).status_code == 200
        assert client.get(f"/v1/dnc/{phone}/nowhere").status_code == 404
        lst = create_list(client, unique("Logged list"))
        assert client.get(f"/v1/lead-lists/{lst['id']}").status_code == 200
    # A service logs its request line before the answer leaves, so the files hold them now.
    logs = _written_since(before)
    assert "leads.log" in logs, sorted(logs)

    spellings = {phone, phone[1:], phone[2:], phone.replace("+", "%2B")}
    leaks = [(name, s) for name, log in logs.items() for s in spellings if s in log]
    assert not leaks, leaks
    assert f"/v1/lead-lists/{lst['id']}" not in logs["leads.log"]

    routes = {(x["method"], x["route"], x["status"]) for x in _request_lines(logs["leads.log"])}
    assert {
        ("POST", "/v1/dnc", 201),
        ("DELETE", "/v1/dnc/{phone}", 204),
        ("DELETE", "/v1/dnc/{phone}", 404),
        ("GET", "/v1/dnc", 200),
        ("GET", "unmatched", 404),
        ("GET", "/v1/lead-lists/{list_id}", 200),
    } <= routes, routes
    assert not any("path" in x for log in logs.values() for x in _request_lines(log))


def test_every_service_logs_a_path_no_route_serves_as_unmatched(stack: Stack) -> None:
    phone = new_phone()
    for service in (stack.ingest, stack.contacts, stack.leads, stack.campaigns, stack.portal):
        before = _sizes()
        response = httpx.get(f"{service.url}/v1/nowhere/{phone}", params={"to": phone})
        assert response.status_code == 404, (service.name, response.text)
        log = _written_since(before)[service.log_path.name]
        last = _request_lines(log)[-1]
        assert (last["method"], last["route"], last["status"]) == ("GET", "unmatched", 404)
        assert phone[2:] not in log, service.name
