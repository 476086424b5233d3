from types import SimpleNamespace

from fastapi import FastAPI
from fastapi.testclient import TestClient
from listflow.contacts.adapters.memory_repository import InMemoryContactRepository
from listflow.contacts.entrypoints import matches_api
from listflow.contacts.handlers import merge_rows
from listflow.kit.auth import ApiKeys
from listflow.kit.problems import install_problem_handlers
from listflow.kit.settings import api_key_digest

from .conftest import NOW, RecordingSink, row


def app_for(repo: InMemoryContactRepository) -> TestClient:
    app = FastAPI()
    install_problem_handlers(app)
    app.include_router(matches_api.router)
    app.state.api_keys = ApiKeys({api_key_digest("k1"): "t1", api_key_digest("k2"): "t2"})
    app.state.container = SimpleNamespace(repository=repo)
    return TestClient(app)


async def test_counts_tell_none_one_and_several_apart(sink: RecordingSink) -> None:
    repo = InMemoryContactRepository()
    # Two contacts (different accounts) share a phone; a third has its own.
    rows = [
        row(1, account="A1", phone="+14155550001"),
        row(2, account="A2", phone="+14155550001"),
        row(3, account="A3", phone="+14155550003"),
    ]
    await merge_rows(rows, repo, sink, lambda: NOW)
    client = app_for(repo)
    values = ["+14155550001", "+14155550003", "+14155550009"]
    response = client.post(
        "/v1/contacts/match-counts",
        json={"key": "phone", "values": values},
        headers={"X-API-Key": "k1"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["no_match"], body["one_match"], body["several_matches"]) == (1, 1, 1)
    assert body["counts"] == dict(zip(values, [2, 1, 0], strict=True))
    totals = client.post(
        "/v1/contacts/match-counts",
        json={"key": "phone", "values": values, "per_value": False},
        headers={"X-API-Key": "k1"},
    ).json()
    assert (totals["no_match"], totals["one_match"], totals["several_matches"]) == (1, 1, 1)
    assert totals["counts"] == {}
    other = client.post(
        "/v1/contacts/match-counts",
        json={"key": "phone", "values": values},
        headers={"X-API-Key": "k2"},
    ).json()
    assert other["no_match"] == 3


def test_more_than_5000_values_or_no_key_is_a_problem() -> None:
    client = app_for(InMemoryContactRepository())
    too_many = client.post(
        "/v1/contacts/match-counts",
        json={"key": "phone", "values": [str(i) for i in range(matches_api.MAX_VALUES + 1)]},
        headers={"X-API-Key": "k1"},
    )
    assert too_many.status_code == 422
    # A preview's whole batch of 5,000 rows goes in one call.
    most = client.post(
        "/v1/contacts/match-counts",
        json={"key": "phone", "values": [str(i) for i in range(5000)], "per_value": False},
        headers={"X-API-Key": "k1"},
    )
    assert most.status_code == 200, most.text
    assert most.json()["no_match"] == 5000
    assert too_many.headers["content-type"].startswith("application/problem+json")
    assert (
        client.post("/v1/contacts/match-counts", json={"key": "phone", "values": []}).status_code
        == 401
    )
