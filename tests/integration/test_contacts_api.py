"""The contacts HTTP API against the real stack: create by hand, search, edit, delete with
confirmation, merge, groups, tags, export; every endpoint isolated per tenant."""

import csv
import io
import json
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.conftest import Stack
from tests.integration.contacts_support import contact_changes
from tests.integration.test_tenancy_and_errors import assert_problem

SSN = "123-45-6789"


def unique(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(3)}"


def create(client: httpx.Client, body: dict[str, Any], status: int = 201) -> dict[str, Any]:
    response = client.post("/v1/contacts", json=body)
    assert response.status_code == status, response.text
    result: dict[str, Any] = response.json()
    return result


def test_create_by_hand_normalizes_like_an_upload_and_matches(stack: Stack) -> None:
    phone = f"(415) 555-{secrets.randbelow(9000) + 1000}"
    with stack.client("acme") as client:
        ana = create(
            client,
            {
                "first_name": " Ana ",
                "phones": [phone],
                "emails": ["Ana.Garcia@Example.COM"],
                "ssn": SSN,
                "postcode": "94103",
                "consents": {"email": True},
            },
        )
        assert ana["outcome"] == "imported" and ana["version"] == 1
        data = ana["data"]
        assert data["first_name"] == "Ana"
        assert data["phones"][0]["e164"].startswith("+1415555")
        assert data["emails"] == ["Ana.Garcia@example.com"]
        assert data["ssn"] == {"hash": data["ssn"]["hash"], "last4": "6789", "ciphertext": None}
        (consent,) = ana["consent_sources"]
        assert consent["channel"] == "email" and consent["source"] == "api"
        # Same phone, written differently: the default policy updates the same contact.
        again = create(client, {"last_name": "García", "phones": [phone.replace(" ", "")]}, 200)
        assert again["id"] == ana["id"] and again["outcome"] == "updated"
        assert again["data"]["first_name"] == "Ana" and again["data"]["last_name"] == "García"
        # ... and a policy that only imports new contacts refuses it.
        body = assert_problem(
            client.post(
                "/v1/contacts",
                json={"phones": [phone], "match": {"key": "phone", "on_one_match": "skip"}},
            ),
            409,
        )
        assert body["contact_id"] == ana["id"]


def test_create_with_idempotency_key_creates_once(stack: Stack) -> None:
    key = unique("idem")
    with stack.client("acme") as client:
        first = client.post(
            "/v1/contacts", json={"first_name": "Once"}, headers={"Idempotency-Key": key}
        )
        second = client.post(
            "/v1/contacts", json={"first_name": "Once"}, headers={"Idempotency-Key": key}
        )
    assert first.status_code == 201 and second.status_code in (200, 201)
    assert first.json()["id"] == second.json()["id"]


def test_invalid_fields_are_problems_naming_each_field(stack: Stack) -> None:
    with stack.client("acme") as client:
        body = assert_problem(
            client.post(
                "/v1/contacts",
                json={"phones": ["12"], "emails": ["no-at"], "ssn": "987-65-4321"},
            ),
            422,
        )
        assert {e["location"] for e in body["errors"]} == {"phones.0", "emails.0", "ssn"}
        assert "987-65-4321" not in json.dumps(body)
        body = assert_problem(
            client.post("/v1/contacts", json={"first_name": "X", "tags": [unique("nope")]}), 422
        )
        assert "not defined" in body["detail"]
        assert_problem(client.post("/v1/contacts", json={"colour": "red"}), 422)


def test_search_filters_and_cursor_pagination(stack: Stack) -> None:
    tag = unique("Search")
    group = unique("Searchers")
    with stack.client("acme") as client:
        assert client.post("/v1/tags", json={"name": tag}).status_code == 201
        assert client.post("/v1/groups", json={"name": group}).status_code == 201
        before = datetime.now(UTC) - timedelta(seconds=1)
        made = [
            create(
                client,
                {
                    "first_name": "José" if i == 0 else f"Person{i}",
                    "last_name": "Núñez",
                    "phones": [f"+1 212 555 {1000 + secrets.randbelow(8999):04d}"],
                    "emails": [f"{unique('p')}@Example.com"],
                    "tags": [tag.lower()] if i < 3 else [],
                    "groups": [group],
                    "match": {"key": "email"},
                },
            )
            for i in range(5)
        ]
        ids = {c["id"] for c in made}

        def search(**params: Any) -> list[str]:
            response = client.get("/v1/contacts", params=params)
            assert response.status_code == 200, response.text
            return [c["id"] for c in response.json()["items"]]

        assert set(search(tag=tag.upper())) == {c["id"] for c in made[:3]}
        assert search(name="jose", group=group) == [made[0]["id"]]
        assert set(search(name="NUNEZ", group=group)) == ids
        national = made[1]["data"]["phones"][0]["e164"][2:]  # without +1
        assert search(phone=national) == [made[1]["id"]]
        assert search(email=made[2]["data"]["emails"][0].upper()) == [made[2]["id"]]
        assert set(search(group=group, updated_since=before.isoformat())) == ids
        assert search(group=group, updated_since=datetime.now(UTC).isoformat()) == []
        assert set(search(tag=tag, name="person1")) == {made[1]["id"]}
        # Cursor pagination walks the whole group without repeats.
        seen: list[str] = []
        cursor = None
        while True:
            params: dict[str, Any] = {"group": group, "limit": 2}
            if cursor:
                params["cursor"] = cursor
            page = client.get("/v1/contacts", params=params).json()
            seen.extend(c["id"] for c in page["items"])
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert sorted(seen) == sorted(ids)
        # The total counts every page's contacts, whichever page is asked for; only on request.
        first = client.get("/v1/contacts", params={"group": group, "limit": 2, "total": "true"})
        assert first.json()["total"] == 5 and len(first.json()["items"]) == 2
        tagged = client.get("/v1/contacts", params={"tag": tag, "name": "person1", "total": True})
        assert tagged.json()["total"] == 1
        assert client.get("/v1/contacts", params={"group": group}).json()["total"] is None
        assert_problem(client.get("/v1/contacts", params={"phone": "12"}), 422)
        assert_problem(client.get("/v1/contacts", params={"total": "perhaps"}), 422)


def test_patch_is_versioned_and_announced(stack: Stack) -> None:
    with stack.client("acme") as client:
        made = create(client, {"first_name": "Pat", "emails": [f"{unique('pat')}@x.com"]})
        response = client.patch(
            f"/v1/contacts/{made['id']}",
            json={"version": 1, "last_name": "Smith", "consents": {"sms": False}},
        )
        assert response.status_code == 200, response.text
        assert response.json()["version"] == 2
        assert response.json()["data"]["last_name"] == "Smith"
        body = assert_problem(
            client.patch(f"/v1/contacts/{made['id']}", json={"version": 1, "last_name": "X"}),
            409,
        )
        assert body["current_version"] == 2
        assert_problem(client.patch("/v1/contacts/nope", json={"version": 1}), 404)
    tenant = stack.tenants["acme"].id
    changes = contact_changes(tenant, {made["id"]}, 2)
    assert [t for t, _ in changes] == ["ContactCreated", "ContactUpdated"]
    assert changes[1][1]["contact"]["consent_sources"][0]["source"] == "api"


def test_delete_one_needs_a_confirmation(stack: Stack) -> None:
    with stack.client("acme") as client:
        made = create(client, {"first_name": "Del", "ssn": "223-45-6789"})
        url = f"/v1/contacts/{made['id']}"
        ask = assert_problem(client.delete(url), 428)
        assert ask["contact"]["id"] == made["id"]
        assert client.get(url).status_code == 200  # nothing deleted yet
        assert_problem(client.delete(url, params={"confirmation_token": "1.forged"}), 409)
        done = client.delete(url, params={"confirmation_token": ask["confirmation_token"]})
        assert done.status_code == 204
        assert_problem(client.get(url), 404)
    changes = contact_changes(stack.tenants["acme"].id, {made["id"]}, 2)
    assert [t for t, _ in changes] == ["ContactCreated", "ContactDeleted"]
    deleted = changes[1][1]
    assert deleted["contact"]["version"] == 2
    assert deleted["contact"]["data"]["ssn"]["ciphertext"] is None


def test_delete_many_previews_then_deletes(stack: Stack) -> None:
    with stack.client("acme") as client:
        made = [create(client, {"first_name": f"Bulk{i}"}) for i in range(3)]
        ids = [c["id"] for c in made]
        preview = client.post("/v1/contacts/deletions", json={"ids": [*ids, "missing"]})
        assert preview.status_code == 200, preview.text
        body = preview.json()
        assert {c["id"] for c in body["contacts"]} == set(ids)
        assert body["not_found"] == ["missing"]
        assert all(client.get(f"/v1/contacts/{i}").status_code == 200 for i in ids)
        # A contact changed after the preview: the token no longer matches.
        client.patch(f"/v1/contacts/{ids[0]}", json={"version": 1, "first_name": "Changed"})
        assert_problem(
            client.post(
                "/v1/contacts/deletions",
                json={"ids": ids, "confirmation_token": body["confirmation_token"]},
            ),
            409,
        )
        again = client.post("/v1/contacts/deletions", json={"ids": ids}).json()
        done = client.post(
            "/v1/contacts/deletions",
            json={"ids": ids, "confirmation_token": again["confirmation_token"]},
        )
        assert done.status_code == 200, done.text
        assert sorted(done.json()["deleted"]) == sorted(ids)
        assert all(client.get(f"/v1/contacts/{i}").status_code == 404 for i in ids)
    changes = contact_changes(stack.tenants["acme"].id, set(ids), 7)
    assert sum(1 for t, _ in changes if t == "ContactDeleted") == 3


def test_merge_duplicates_into_one(stack: Stack) -> None:
    with stack.client("acme") as client:
        keep = create(
            client,
            {
                "first_name": "Ana",
                "accounts": [{"number": unique("M"), "balance": "10.50", "currency": "usd"}],
                "emails": [f"{unique('a')}@x.com"],
            },
        )
        dup = create(
            client,
            {
                "first_name": "Anna",
                "last_name": "Gil",
                "accounts": [{"number": unique("M"), "balance": 3}],
                "emails": [f"{unique('b')}@x.com"],
                "consents": {"call": True},
                "match": {"key": "email"},
            },
        )
        response = client.post(
            f"/v1/contacts/{keep['id']}/merge", json={"duplicate_ids": [dup["id"]]}
        )
        assert response.status_code == 200, response.text
        merged = response.json()
        assert merged["data"]["first_name"] == "Ana"  # fill_blanks: the survivor wins
        assert merged["data"]["last_name"] == "Gil"
        assert len(merged["data"]["accounts"]) == 2 and len(merged["data"]["emails"]) == 2
        assert merged["data"]["consents"]["call"] is True
        assert_problem(client.get(f"/v1/contacts/{dup['id']}"), 404)
        assert_problem(
            client.post(f"/v1/contacts/{keep['id']}/merge", json={"duplicate_ids": [dup["id"]]}),
            404,
        )
        assert_problem(
            client.post(f"/v1/contacts/{keep['id']}/merge", json={"duplicate_ids": [keep["id"]]}),
            422,
        )
    changes = contact_changes(stack.tenants["acme"].id, {keep["id"], dup["id"]}, 4)
    kinds = [t for t, _ in changes]
    assert "ContactMerged" in kinds and "ContactDeleted" in kinds
    merged_event = next(b for t, b in changes if t == "ContactMerged")
    assert merged_event["merged_ids"] == [dup["id"]]
    deleted_event = next(b for t, b in changes if t == "ContactDeleted")
    assert deleted_event["merged_into"] == keep["id"]


def test_groups_crud_and_export(stack: Stack) -> None:
    name = unique("Export Group")
    with stack.client("acme") as client:
        created = client.post("/v1/groups", json={"name": name, "description": "for export"})
        assert created.status_code == 201, created.text
        group = created.json()
        assert_problem(client.post("/v1/groups", json={"name": name.upper()}), 409)
        assert client.get(f"/v1/groups/{group['id']}").json()["name"] == name
        assert client.get(f"/v1/groups/{name}").json()["id"] == group["id"]
        patched = client.patch(f"/v1/groups/{group['id']}", json={"description": "changed"})
        assert patched.json()["description"] == "changed"
        listed = client.get("/v1/groups", params={"limit": 1000}).json()["items"]
        assert group["id"] in {g["id"] for g in listed}
        evil = create(
            client,
            {
                "first_name": '=HYPERLINK("http://evil.invalid","click")',
                "last_name": "@SUM(1)",
                "company_name": "-2+3",
                "ssn": "323-45-6789",
                "phones": ["+44 7400 123456"],
                "accounts": [{"number": unique("EX"), "balance": "-12.5", "currency": "GBP"}],
                "groups": [name],
            },
        )
        plain = create(client, {"first_name": "Plain", "groups": [group["id"]]})
        export = client.get(f"/v1/groups/{group['id']}/export.csv")
        assert export.status_code == 200
        assert export.headers["content-type"].startswith("text/csv")
        rows = {r["id"]: r for r in csv.DictReader(io.StringIO(export.text))}
        assert set(rows) == {evil["id"], plain["id"]}
        row = rows[evil["id"]]
        assert row["first_name"].startswith("'=")
        assert row["last_name"] == "'@SUM(1)"
        assert row["company_name"] == "'-2+3"
        assert row["phone_1"] == "'+447400123456"
        assert row["ssn_last4"] == "6789"
        assert "323456789" not in export.text and "323-45-6789" not in export.text
        assert evil["data"]["ssn"]["hash"] not in export.text
        # Deleting the group keeps its contacts, out of the group.
        deleted = client.delete(f"/v1/groups/{group['id']}")
        assert deleted.status_code == 200 and deleted.json()["contacts_changed"] == 2
        assert_problem(client.get(f"/v1/groups/{group['id']}"), 404)
        assert client.get(f"/v1/contacts/{plain['id']}").json()["group_ids"] == []
        assert_problem(client.get(f"/v1/groups/{group['id']}/export.csv"), 404)


def test_tags_crud(stack: Stack) -> None:
    name = unique("Vip")
    with stack.client("acme") as client:
        tag = client.post("/v1/tags", json={"name": name})
        assert tag.status_code == 201, tag.text
        assert_problem(client.post("/v1/tags", json={"name": name.lower()}), 409)
        assert_problem(client.post("/v1/tags", json={"name": "a,b"}), 422)
        tagged = create(client, {"first_name": "Tagged", "tags": [name.upper()]})
        assert tagged["data"]["tags"] == [name]
        assert client.get(f"/v1/tags/{name.lower()}").json()["id"] == tag.json()["id"]
        assert (
            client.patch(f"/v1/tags/{name}", json={"description": "d"}).json()["description"] == "d"
        )
        listed = client.get("/v1/tags").json()["items"]
        assert name in {t["name"] for t in listed}
        gone = client.delete(f"/v1/tags/{name}")
        assert gone.status_code == 200 and gone.json()["contacts_changed"] == 1
        assert client.get(f"/v1/contacts/{tagged['id']}").json()["data"]["tags"] == []
        assert_problem(client.get(f"/v1/tags/{name}"), 404)


def test_every_new_endpoint_is_isolated_per_tenant(stack: Stack) -> None:
    group = unique("Private group")
    tag = unique("Private tag")
    with stack.client("acme") as acme:
        acme.post("/v1/groups", json={"name": group})
        acme.post("/v1/tags", json={"name": tag})
        mine = create(
            acme,
            {
                "first_name": "Secret",
                "emails": [f"{unique('s')}@x.com"],
                "tags": [tag],
                "groups": [group],
            },
        )
        other = create(acme, {"first_name": "Other"})
        token = acme.post("/v1/contacts/deletions", json={"ids": [mine["id"]]}).json()[
            "confirmation_token"
        ]
        group_id = acme.get(f"/v1/groups/{group}").json()["id"]
    cid = mine["id"]
    with stack.client("globex") as globex:
        assert_problem(
            globex.patch(f"/v1/contacts/{cid}", json={"version": 1, "first_name": "x"}), 404
        )
        assert_problem(globex.delete(f"/v1/contacts/{cid}"), 404)
        assert_problem(
            globex.delete(f"/v1/contacts/{cid}", params={"confirmation_token": token}), 404
        )
        preview = globex.post("/v1/contacts/deletions", json={"ids": [cid]}).json()
        assert preview["contacts"] == [] and preview["not_found"] == [cid]
        assert_problem(
            globex.post("/v1/contacts/deletions", json={"ids": [cid], "confirmation_token": token}),
            404,
        )
        assert_problem(
            globex.post(f"/v1/contacts/{cid}/merge", json={"duplicate_ids": [other["id"]]}), 404
        )
        own = create(globex, {"first_name": "Globex"})
        assert_problem(
            globex.post(f"/v1/contacts/{own['id']}/merge", json={"duplicate_ids": [cid]}), 404
        )
        for path in (f"/v1/groups/{group_id}", f"/v1/groups/{group}", f"/v1/tags/{tag}"):
            assert_problem(globex.get(path), 404)
            assert_problem(globex.patch(path, json={"description": "x"}), 404)
            assert_problem(globex.delete(path), 404)
        assert_problem(globex.get(f"/v1/groups/{group_id}/export.csv"), 404)
        assert group_id not in {g["id"] for g in globex.get("/v1/groups").json()["items"]}
        assert tag not in {t["name"] for t in globex.get("/v1/tags").json()["items"]}
        assert globex.get("/v1/contacts", params={"tag": tag}).json()["items"] == []
        assert globex.get("/v1/contacts", params={"name": "secret"}).json()["items"] == []
        email = mine["data"]["emails"][0]
        assert globex.get("/v1/contacts", params={"email": email}).json()["items"] == []
        # Globex's own tag of the same name is its own: acme's contact stays invisible.
        assert globex.post("/v1/tags", json={"name": tag}).status_code == 201
        assert (
            globex.post("/v1/contacts", json={"first_name": "G", "tags": [tag]}).status_code == 201
        )
    with stack.client("acme") as acme:
        assert acme.get(f"/v1/contacts/{cid}").json()["version"] == 1
        assert [c["id"] for c in acme.get("/v1/contacts", params={"tag": tag}).json()["items"]] == [
            cid
        ]


@pytest.mark.parametrize("path", ["/v1/groups", "/v1/tags"])
def test_label_endpoints_need_a_key(stack: Stack, path: str) -> None:
    with httpx.Client(base_url=stack.gateway_url) as anonymous:
        assert_problem(anonymous.get(path), 401)
        assert_problem(anonymous.post(path, json={"name": "x"}), 401)
