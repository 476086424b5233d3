"""Each server error a fuzzing client found (issue 18), as a regression test against the real
stack: bad input is a 422 problem naming the field, a write never leaves a document a read
cannot serve, and a listing skips (then the startup repair mends) an old bad document."""

import secrets
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from listflow.leads.adapters.mongo_repository import MongoLeadRepository
from listflow.leads.domain.errors import NameTaken
from listflow.leads.domain.model import LeadList
from pymongo import AsyncMongoClient

from tests.conftest import PROFILE, Stack
from tests.integration.leads_helpers import create_campaign, create_list, unique
from tests.integration.test_tenancy_and_errors import assert_problem

JSON = {"Content-Type": "application/json"}


def locations(response: httpx.Response, status: int = 422) -> set[str]:
    body = assert_problem(response, status)
    return {e["location"] for e in body.get("errors", [])}


@pytest.fixture
def acme(stack: Stack) -> Any:
    with stack.client("acme") as client:
        yield client


def test_patch_lead_list_with_nulls_is_refused_and_the_listing_still_answers(acme: Any) -> None:
    item = create_list(acme, unique("Nulls"))
    response = acme.patch(
        f"/v1/lead-lists/{item['id']}",
        json={"name": None, "time_zone": None, "enabled": None, "fields": []},
    )
    assert {"body.name", "body.time_zone", "body.enabled"} <= locations(response)
    assert acme.get(f"/v1/lead-lists/{item['id']}").json()["name"] == item["name"]
    assert acme.get("/v1/lead-lists", params={"limit": 1000}).status_code == 200
    # null stays meaningful where it clears a value
    cleared = acme.patch(f"/v1/lead-lists/{item['id']}", json={"owner": None, "fields": []})
    assert cleared.status_code == 200, cleared.text
    assert cleared.json()["owner"] is None


def test_lead_list_text_with_nul_or_lone_surrogates_is_refused(acme: Any) -> None:
    item = create_list(acme, unique("Text"))
    for raw in (
        '{"name": "a\\u0000b"}',
        '{"description": "\\ud800"}',
        '{"fields": [{"name": "x\\udfff"}]}',
        '{"name": "   "}',
    ):
        response = acme.patch(f"/v1/lead-lists/{item['id']}", content=raw, headers=JSON)
        assert locations(response), raw
    assert acme.get("/v1/lead-lists").status_code == 200


def test_patch_dialer_campaign_with_nulls_is_refused(acme: Any) -> None:
    campaign = create_campaign(acme, unique("Nulls"))
    response = acme.patch(
        f"/v1/dialer-campaigns/{campaign['id']}",
        json={"calling_hours": None, "retry": None, "days": []},
    )
    assert {"body.calling_hours", "body.retry", "body.days"} <= locations(response)
    stored = acme.get(f"/v1/dialer-campaigns/{campaign['id']}")
    assert stored.status_code == 200
    assert stored.json()["calling_hours"] == campaign["calling_hours"]
    assert acme.get("/v1/dialer-campaigns").status_code == 200


@pytest.mark.parametrize("end", ["21:00x", "x21:00", "25:00", "9:00", "21:60", "", "21:00\n"])
def test_malformed_calling_hours_end_is_a_422_naming_it(acme: Any, end: str) -> None:
    response = acme.post(
        "/v1/dialer-campaigns",
        json={"name": unique("Hours"), "calling_hours": {"start": "08:00", "end": end}},
    )
    assert "body.calling_hours.end" in locations(response)


def test_calling_hours_that_end_before_they_start_name_the_end(acme: Any) -> None:
    response = acme.post(
        "/v1/dialer-campaigns",
        json={"name": unique("Hours"), "calling_hours": {"start": "20:00", "end": "08:00"}},
    )
    assert "body.calling_hours.end" in locations(response)


def test_odd_ids_to_assign_lists_are_refused_or_not_found(acme: Any) -> None:
    campaign = create_campaign(acme, unique("Odd ids"))
    url = f"/v1/dialer-campaigns/{campaign['id']}/lists"
    for raw in (
        '{"list_ids": ["\\u0000"]}',
        '{"list_ids": ["\\ud800"]}',
        '{"list_ids": [""]}',
        '{"list_ids": ["' + "x" * 201 + '"]}',
        '{"list_ids": [null]}',
        '{"list_ids": [1]}',
    ):
        response = acme.put(url, content=raw, headers=JSON)
        assert "body.list_ids.0" in locations(response), raw
    # well-formed ids of no list are a 404 problem, not a server error
    assert_problem(acme.put(url, json={"list_ids": ["$gt", "../x", "a.b"]}), 404)


def test_odd_path_ids_are_problems_not_server_errors(acme: Any) -> None:
    for path in ("/v1/lead-lists/%00", "/v1/dialer-campaigns/a%00b", "/v1/leads/%00"):
        assert "path." in next(iter(locations(acme.get(path)))), path
    for path in ("/v1/lead-lists/%06", "/v1/dialer-campaigns/%0A", "/v1/lead-lists/%ED%A0%80"):
        response = acme.get(path)
        assert response.status_code in {404, 422}, (path, response.text)
        assert_problem(response, response.status_code)


@pytest.mark.parametrize("param", ["group", "tag", "name"])
def test_contacts_query_with_nul_is_a_422_naming_the_parameter(acme: Any, param: str) -> None:
    response = acme.get(f"/v1/contacts?{param}=a%00b")
    assert f"query.{param}" in locations(response)
    # A lone surrogate cannot arrive in a URL (its UTF-8 form is invalid and is replaced
    # when the query is decoded): answered, never a server error.
    response = acme.get(f"/v1/contacts?{param}=%ED%A0%80")
    assert response.status_code in {200, 404, 422}, response.text


def test_merge_with_nul_or_lone_surrogate_ids_is_a_422(acme: Any) -> None:
    created = acme.post(
        "/v1/contacts",
        json={"first_name": "Merge", "emails": [f"merge-{secrets.token_hex(4)}@example.com"]},
    )
    assert created.status_code == 201, created.text
    contact_id = created.json()["id"]
    response = acme.post(
        f"/v1/contacts/{contact_id}/merge",
        content='{"duplicate_ids": ["\\u0000", "ok", "\\udc80x"]}',
        headers=JSON,
    )
    assert {"body.duplicate_ids.0", "body.duplicate_ids.2"} <= locations(response)
    assert_problem(acme.post("/v1/contacts/%00/merge", json={"duplicate_ids": ["x"]}), 422)


async def test_a_bad_stored_list_is_skipped_by_reads_then_repaired(stack: Stack) -> None:
    """A document written before the API validated its input (a null name, malformed hours)
    no longer fails the listing; the startup repair gives it defaults."""
    tenant = stack.tenants["globex"].id
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(PROFILE.mongodb_url)
    repository = MongoLeadRepository(client[f"{stack.database_prefix}leads"])
    list_id = f"bad-{secrets.token_hex(4)}"
    campaign_id = f"bad-{secrets.token_hex(4)}"
    try:
        await repository.lists.insert_one(
            {
                "_id": list_id,
                "tenant_id": tenant,
                "name": None,
                "name_key": None,
                "time_zone": None,
                "fields": [],
                "enabled": None,
            }
        )
        await repository.campaigns.insert_one(
            {
                "_id": campaign_id,
                "tenant_id": tenant,
                "name": "Bad hours",
                "name_key": f"bad hours {campaign_id}",
                "hours": {"start": "08:00", "end": "2x:00"},
                "retry": None,
                "priority": 0,
            }
        )
        with stack.client("globex") as globex:
            listing = globex.get("/v1/lead-lists", params={"limit": 1000})
            assert listing.status_code == 200, listing.text
            assert list_id not in {x["id"] for x in listing.json()["items"]}
            assert globex.get("/v1/dialer-campaigns").status_code == 200
            assert_problem(globex.get(f"/v1/lead-lists/{list_id}"), 404)

            repairs = await repository.repair_documents()
            assert repairs.repaired >= 2

            repaired = globex.get(f"/v1/lead-lists/{list_id}")
            assert repaired.status_code == 200, repaired.text
            assert repaired.json()["name"] == f"Lead list {list_id}"
            assert repaired.json()["time_zone"] == "UTC"
            campaign = globex.get(f"/v1/dialer-campaigns/{campaign_id}").json()
            assert campaign["calling_hours"] == {"start": "08:00", "end": "21:00"}
    finally:
        await repository.lists.delete_one({"_id": list_id})
        await repository.campaigns.delete_one({"_id": campaign_id})
        await client.close()


async def test_a_rename_that_loses_the_race_to_a_name_is_refused_by_the_store(
    database: Any,
) -> None:
    """Two renames racing to one name both pass the route's check; the unique index refuses
    the second write, and the repository says so in the domain's words (a 409), not a 500."""
    repository = MongoLeadRepository(database)
    await repository.ensure_indexes()
    for list_id, name in (("a", "First"), ("b", "Second")):
        assert await repository.insert_list(LeadList(id=list_id, tenant_id="t1", name=name))
    with pytest.raises(NameTaken):
        await repository.set_list("t1", "b", {"name": " first "})
    item = await repository.get_list("t1", "b")
    assert item is not None and item.name == "Second"
    # Another tenant's list of that name does not collide.
    assert await repository.insert_list(LeadList(id="c", tenant_id="t2", name="Third"))
    renamed = await repository.set_list("t2", "c", {"name": "First"})
    assert renamed is not None and renamed.name == "First"


def test_concurrent_renames_to_one_name_answer_one_200_and_409_problems(stack: Stack) -> None:
    with stack.client("acme") as client:
        ids = [create_list(client, unique(f"Race {i}"))["id"] for i in range(4)]
    target = unique("Renamed")

    def rename(list_id: str) -> httpx.Response:
        with stack.client("acme") as own:
            return own.patch(f"/v1/lead-lists/{list_id}", json={"name": target})

    with ThreadPoolExecutor(len(ids)) as pool:
        responses = list(pool.map(rename, ids))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200, 409, 409, 409], [r.text for r in responses]
    for response in responses:
        if response.status_code == 409:
            assert_problem(response, 409)


def test_renaming_a_campaign_to_another_campaigns_name_is_a_409_problem(acme: Any) -> None:
    first = create_campaign(acme, unique("Campaign A"))
    second = create_campaign(acme, unique("Campaign B"))
    response = acme.patch(f"/v1/dialer-campaigns/{second['id']}", json={"name": first["name"]})
    assert_problem(response, 409)
    assert acme.get(f"/v1/dialer-campaigns/{second['id']}").json()["name"] == second["name"]
