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
    search = contacts["paths"]["/v1/contacts"]["get"]
    assert "total" in {p["name"] for p in search["parameters"]}
    assert "total" in contacts["components"]["schemas"]["ContactPage"]["properties"]
    assert "held_until" in contacts["components"]["schemas"]["ContactPublic"]["properties"]


def test_asyncapi_documents_topics_and_event_schemas(stack: Stack) -> None:
    ingest = httpx.get(f"{stack.ingest.url}/asyncapi.json").json()
    text = json.dumps(ingest)
    assert ingest["asyncapi"].startswith("3.")
    for topic in ("ingest.contact-rows.v1", "ingest.row-outcomes.v1", "lists.ready.v1"):
        assert topic in text
    assert "ContactRowParsed" in text
    contacts_doc = httpx.get(f"{stack.contacts.url}/asyncapi.json").json()
    contacts = json.dumps(contacts_doc)
    assert "ingest.contact-rows.v1" in contacts


def test_contacts_asyncapi_describes_every_change_event(stack: Stack) -> None:
    document = httpx.get(f"{stack.contacts.url}/asyncapi.json").json()
    assert document["asyncapi"].startswith("3.")
    channels = {c["address"] for c in document["channels"].values()}
    assert {"contacts.changes.v1", "ingest.contact-rows.v1.dlq"} <= channels
    schemas = document["components"]["schemas"]
    for event in ("ContactCreated", "ContactUpdated", "ContactMerged", "ContactDeleted"):
        assert event in schemas, sorted(schemas)
        assert "contact" in schemas[event]["properties"]
    snapshot = schemas["ContactSnapshot"]["properties"]
    assert {"id", "version", "data", "consent_sources"} <= set(snapshot)
    assert "merged_ids" in schemas["ContactMerged"]["properties"]
    assert "merged_into" in schemas["ContactDeleted"]["properties"]
    # The row event (published by ingest) carries the upload's create_missing_tags option.
    ingest = json.dumps(httpx.get(f"{stack.ingest.url}/asyncapi.json").json())
    assert "create_missing_tags" in ingest
    contacts_api = httpx.get(f"{stack.contacts.url}/openapi.json").json()["paths"]
    for path in (
        "/v1/contacts/{contact_id}/merge",
        "/v1/contacts/deletions",
        "/v1/groups",
        "/v1/groups/{ref}/export.csv",
        "/v1/tags",
    ):
        assert path in contacts_api
