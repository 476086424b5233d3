"""Every service answers health probes and publishes its OpenAPI and AsyncAPI documents."""

import json

import httpx

from tests.conftest import Stack


def test_health_and_readiness(stack: Stack) -> None:
    for service in (stack.ingest, stack.contacts):
        assert httpx.get(f"{service.url}/healthz").json() == {"status": "ok"}
        ready = httpx.get(f"{service.url}/readyz")
        assert ready.status_code == 200
        assert ready.json()["checks"] == {"mongodb": "ok", "kafka": "ok"}


def test_openapi_documents_the_upload_contract(stack: Stack) -> None:
    spec = httpx.get(f"{stack.ingest.url}/openapi.json").json()
    assert {"/v1/uploads", "/v1/uploads/{upload_id}", "/v1/uploads/{upload_id}/errors.csv"} <= set(
        spec["paths"]
    )
    assert "ProblemDetails" in spec["components"]["schemas"]
    contacts = httpx.get(f"{stack.contacts.url}/openapi.json").json()
    assert "/v1/contacts" in contacts["paths"]


def test_asyncapi_documents_topics_and_event_schemas(stack: Stack) -> None:
    ingest = httpx.get(f"{stack.ingest.url}/asyncapi.json").json()
    text = json.dumps(ingest)
    assert ingest["asyncapi"].startswith("3.")
    for topic in ("ingest.contact-rows.v1", "ingest.row-outcomes.v1", "lists.ready.v1"):
        assert topic in text
    assert "ContactRowParsed" in text
    contacts = json.dumps(httpx.get(f"{stack.contacts.url}/asyncapi.json").json())
    assert "ingest.contact-rows.v1" in contacts
