"""Tenants never see each other's data; bad requests get RFC 9457 problems, never a 500."""

from pathlib import Path

import httpx
import pytest
from listflow.devstack import datagen

from tests.conftest import Stack, upload, wait_for_status


@pytest.fixture(scope="module")
def acme_upload(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> dict:  # type: ignore[type-arg]
    data, _ = datagen.rows(50, seed=3, account_offset=500_000)
    path = datagen.write_csv(tmp_path_factory.mktemp("tenancy") / "private.csv", data)
    with stack.client("acme") as client:
        accepted = upload(client, path, {"target": {"kind": "group", "name": "Private"}})
        return wait_for_status(client, accepted["id"], {"completed", "failed"})


def assert_problem(response: httpx.Response, status: int) -> dict:  # type: ignore[type-arg]
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status
    assert body["title"]
    return body  # type: ignore[no-any-return]


def test_second_tenant_sees_none_of_the_first_tenants_data(stack: Stack, acme_upload: dict) -> None:  # type: ignore[type-arg]
    assert acme_upload["status"] == "completed"
    with stack.client("acme") as acme:
        contact = acme.get("/v1/contacts", params={"group": "Private", "limit": 1}).json()["items"][
            0
        ]
    with stack.client("globex") as globex:
        assert_problem(globex.get(f"/v1/uploads/{acme_upload['id']}"), 404)
        assert_problem(globex.get(f"/v1/uploads/{acme_upload['id']}/errors.csv"), 404)
        assert_problem(globex.get(f"/v1/contacts/{contact['id']}"), 404)
        history = globex.get("/v1/uploads").json()["items"]
        assert acme_upload["id"] not in [u["id"] for u in history]
        assert globex.get("/v1/contacts", params={"group": "Private"}).json()["items"] == []
        assert (
            globex.get("/v1/contacts", params={"group": contact["group_ids"][0]}).json()["items"]
            == []
        )
        visible = globex.get("/v1/contacts", params={"limit": 1000}).json()["items"]
        assert contact["id"] not in {c["id"] for c in visible}
        assert not any(set(c["group_ids"]) & set(contact["group_ids"]) for c in visible)


def test_missing_or_wrong_key_is_401(stack: Stack) -> None:
    with httpx.Client(base_url=stack.gateway_url) as anonymous:
        assert_problem(anonymous.get("/v1/uploads"), 401)
        assert_problem(anonymous.get("/v1/contacts"), 401)
        assert_problem(anonymous.get("/v1/uploads", headers={"X-API-Key": "nope"}), 401)


def test_no_file_is_a_problem(stack: Stack) -> None:
    with stack.client("acme") as client:
        body = assert_problem(client.post("/v1/uploads", data={"options": "{}"}), 422)
    assert "file" in body["detail"]


def test_empty_file_is_a_problem(stack: Stack, tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with stack.client("acme") as client, empty.open("rb") as f:
        assert_problem(
            client.post("/v1/uploads", files={"file": ("empty.csv", f, "text/csv")}), 422
        )


def test_unknown_option_is_a_problem(stack: Stack, tmp_path: Path) -> None:
    path = datagen.write_csv(tmp_path / "x.csv", datagen.rows(3, seed=1)[0])
    with stack.client("acme") as client, path.open("rb") as f:
        body = assert_problem(
            client.post(
                "/v1/uploads",
                files={"file": ("x.csv", f, "text/csv")},
                data={"options": '{"target": {"kind": "group", "name": "X"}, "colour": "red"}'},
            ),
            422,
        )
    assert any("colour" in e["location"] for e in body["errors"])


def test_options_that_are_not_json_are_a_problem(stack: Stack, tmp_path: Path) -> None:
    path = datagen.write_csv(tmp_path / "x.csv", datagen.rows(3, seed=1)[0])
    with stack.client("acme") as client, path.open("rb") as f:
        assert_problem(
            client.post("/v1/uploads", files={"file": ("x.csv", f)}, data={"options": "{oops"}), 400
        )


def test_unknown_upload_is_404_and_bad_limit_is_422(stack: Stack) -> None:
    with stack.client("acme") as client:
        assert_problem(client.get("/v1/uploads/does-not-exist"), 404)
        assert_problem(client.get("/v1/uploads", params={"limit": 0}), 422)
        assert_problem(client.get("/v1/nothing-here"), 404)
