"""Message templates through the gateway against the real stack: CRUD, tenancy, checks at
save, preview, and malformed requests as 422 problems."""

from typing import Any

import httpx

from tests.conftest import Stack

EMAIL: dict[str, Any] = {
    "name": "Reminder",
    "channel": "email",
    "subject": "Your account {{ account_number }}",
    "html": "<p>Hello {{ first_name }}, pay here: <a href='{{ portal_url }}'>pay</a></p>",
}


def test_templates_are_created_read_listed_updated_and_deleted(stack: Stack) -> None:
    with stack.client("acme") as acme:
        created = acme.post("/v1/message-templates", json=EMAIL)
        assert created.status_code == 201, created.text
        body = created.json()
        assert body["text_derived"] is True
        assert body["text"] == "Hello {{ first_name }}, pay here: pay ({{ portal_url }})"
        tid = body["id"]
        assert acme.get(f"/v1/message-templates/{tid}").json()["subject"] == EMAIL["subject"]
        assert tid in [t["id"] for t in acme.get("/v1/message-templates").json()["items"]]

        sms = {"name": "SMS", "channel": "sms", "body": "Hola {{ first_name }}, ¿pagas? ł"}
        updated = acme.put(f"/v1/message-templates/{tid}", json={**sms, "version": 1})
        assert updated.status_code == 200, updated.text
        assert updated.json()["version"] == 2
        assert updated.json()["sms"] == {"encoding": "UCS-2", "units": 19, "segments": 1}
        stale = acme.put(f"/v1/message-templates/{tid}", json={**sms, "version": 1})
        assert stale.status_code == 409
        assert stale.headers["content-type"].startswith("application/problem+json")

        assert acme.delete(f"/v1/message-templates/{tid}").status_code == 204
        gone = acme.get(f"/v1/message-templates/{tid}")
        assert gone.status_code == 404 and gone.json()["status"] == 404


def test_one_tenant_never_sees_anothers_templates(stack: Stack) -> None:
    with stack.client("acme") as acme, stack.client("globex") as globex:
        tid = acme.post("/v1/message-templates", json=EMAIL).json()["id"]
        assert tid not in [t["id"] for t in globex.get("/v1/message-templates").json()["items"]]
        assert globex.get(f"/v1/message-templates/{tid}").status_code == 404
        assert globex.put(f"/v1/message-templates/{tid}", json=EMAIL).status_code == 404
        assert globex.post(f"/v1/message-templates/{tid}/preview").status_code == 404
        assert globex.delete(f"/v1/message-templates/{tid}").status_code == 404
        assert acme.get(f"/v1/message-templates/{tid}").status_code == 200
    anonymous = httpx.get(f"{stack.gateway_url}/v1/message-templates")
    assert anonymous.status_code == 401


def test_a_template_naming_an_unknown_field_is_refused_naming_it(stack: Stack) -> None:
    with stack.client("acme") as acme:
        refused = acme.post(
            "/v1/message-templates",
            json={**EMAIL, "html": "<p>Hi {{ nick_name }}</p>"},
        )
        assert refused.status_code == 422
        assert refused.headers["content-type"].startswith("application/problem+json")
        problem = refused.json()
        assert problem["field"] == "nick_name"
        assert problem["errors"][0]["location"] == "body.html"
        assert "nick_name" in problem["detail"]


def test_an_unsaved_sms_body_is_counted_in_segments_as_typed(stack: Stack) -> None:
    with stack.client("acme") as acme:
        gsm = acme.post("/v1/message-templates/sms-segments", json={"body": "x" * 161})
        assert gsm.status_code == 200, gsm.text
        assert gsm.json() == {"encoding": "GSM-7", "units": 161, "segments": 2}
        ucs = acme.post("/v1/message-templates/sms-segments", json={"body": "Hola ł"})
        assert ucs.json() == {"encoding": "UCS-2", "units": 6, "segments": 1}
        unknown = acme.post("/v1/message-templates/sms-segments", json={"body": "{{ nick }}"})
        assert unknown.status_code == 422 and unknown.json()["field"] == "nick"
        assert unknown.json()["errors"][0]["location"] == "body.body"


def test_preview_renders_for_a_sample_contact(stack: Stack) -> None:
    with stack.client("acme") as acme:
        tid = acme.post("/v1/message-templates", json=EMAIL).json()["id"]
        sample = acme.post(f"/v1/message-templates/{tid}/preview")
        assert sample.status_code == 200, sample.text
        assert sample.json()["subject"] == "Your account A-1001"
        given = acme.post(
            f"/v1/message-templates/{tid}/preview",
            json={"values": {"first_name": "<Bo>", "portal_url": "https://p.example/x"}},
        ).json()
        assert "Hello &lt;Bo&gt;" in given["html"]
        assert given["text"] == "Hello <Bo>, pay here: pay (https://p.example/x)"
        unknown = acme.post(
            f"/v1/message-templates/{tid}/preview", json={"values": {"nickname": "x"}}
        )
        assert unknown.status_code == 422


def test_malformed_requests_are_422_problems_never_500(stack: Stack) -> None:
    with stack.client("acme") as acme:
        bad_bodies: list[Any] = [
            {},
            {"name": "x", "channel": "fax", "body": "hi"},
            {"name": "x", "channel": "sms", "body": "hi\u0000"},
            {"name": "x", "channel": "sms"},
            {"name": "x", "channel": "sms", "body": "hi", "subject": "s"},
            {"name": "x", "channel": "email", "subject": "s"},
            {"name": "x", "channel": "sms", "body": "{% if %}"},
            {"name": "x", "channel": "sms", "body": "hi", "unknown": 1},
            [1, 2],
        ]
        for bad in bad_bodies:
            response = acme.post("/v1/message-templates", json=bad)
            assert response.status_code == 422, (bad, response.text)
            assert response.json()["status"] == 422
        not_json = acme.post(
            "/v1/message-templates",
            content=b"{not json",
            headers={"content-type": "application/json"},
        )
        assert not_json.status_code == 422
        tid = acme.post(
            "/v1/message-templates", json={"name": "n", "channel": "sms", "body": "{{ balance }}"}
        ).json()["id"]
        # A filter the sample's value cannot take fails to render: a 422, not a 500.
        saved = acme.put(
            f"/v1/message-templates/{tid}",
            json={"name": "n", "channel": "sms", "body": "{{ balance | round(first_name) }}"},
        )
        assert saved.status_code == 200, saved.text
        preview = acme.post(f"/v1/message-templates/{tid}/preview")
        assert preview.status_code == 422, preview.text


def test_campaigns_serves_health_and_openapi(stack: Stack) -> None:
    assert httpx.get(f"{stack.campaigns.url}/healthz").json() == {"status": "ok"}
    ready = httpx.get(f"{stack.campaigns.url}/readyz").json()
    assert ready["checks"] == {"mongodb": "ok", "kafka": "ok"}
    paths = httpx.get(f"{stack.campaigns.url}/openapi.json").json()["paths"]
    for path in (
        "/v1/message-templates",
        "/v1/message-templates/{template_id}",
        "/v1/message-templates/{template_id}/preview",
    ):
        assert path in paths
