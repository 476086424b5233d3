"""Preview: the whole file validated and matched against stored contacts, nothing written."""

import json
import random
import time
from pathlib import Path
from typing import Any

import httpx
from listflow.devstack import datagen

from tests.conftest import Stack, upload, wait_for_status


def phone(rng: random.Random) -> str:
    return f"+1212{rng.randint(200, 999)}{rng.randint(0, 9999):04d}"


def wait_for_preview(
    client: httpx.Client, upload_id: str, timeout: float = 240.0
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    body: dict[str, Any] = {}
    while time.monotonic() < deadline:
        response = client.get(f"/v1/uploads/{upload_id}/preview")
        assert response.status_code == 200, response.text
        body = response.json()
        if body["status"] != "running":
            return body
        time.sleep(0.3)
    raise AssertionError(f"preview of {upload_id} never ended: {body}")


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_preview_counts_validity_duplicates_and_matches_and_writes_nothing(
    stack: Stack, tmp_path: Path
) -> None:
    rng = random.Random()
    run = f"{rng.randrange(16**6):06x}"
    shared, single, new, other_new = phone(rng), phone(rng), phone(rng), phone(rng)
    # Stored first: two contacts (two accounts) share one phone, a third has its own.
    seed = write(
        tmp_path / "seed.csv",
        "First name,Phone,Account number\n"
        f"Ana,{shared},PV-{run}-1\n"
        f"Ben,{shared},PV-{run}-2\n"
        f"Cy,{single},PV-{run}-3\n",
    )
    candidate = write(
        tmp_path / "candidate.csv",
        "First name,Phone,Email\n"
        f"Ana,{shared},ana.{run}@example.com\n"  # several matches
        f"Cy,{single},cy.{run}@example.com\n"  # one match
        f"Dee,{new},dee.{run}@example.com\n"  # no match
        "Eve,12,eve@example.com\n"  # invalid phone
        f"Dee again,{new},dee2.{run}@example.com\n"  # in-file duplicate of row 3
        f"Fay,{other_new},fay@\n",  # invalid email
    )
    with stack.client("acme") as client:
        seeded = upload(
            client,
            seed,
            {"target": {"kind": "group", "name": f"Preview seed {run}"}, "default_region": "US"},
        )
        assert wait_for_status(client, seeded["id"], {"completed"})["counts"]["imported"] == 3

        waiting = upload(client, candidate, {"default_region": "US"})
        assert waiting["status"] == "uploaded"
        started = client.post(
            f"/v1/uploads/{waiting['id']}/preview", json={"match": {"key": "phone"}}
        )
        assert started.status_code == 202, started.text
        assert started.json()["status"] == "running"
        preview = wait_for_preview(client, waiting["id"])

        assert preview["status"] == "completed", preview
        assert preview["percent"] == 100.0
        assert preview["counts"] == {"rows": 6, "valid": 3, "invalid": 2, "duplicates": 1}
        assert preview["matches"] == {
            "key": "phone",
            "no_match": 1,
            "one_match": 1,
            "several_matches": 1,
        }
        examples = preview["invalid_examples"]
        assert [e["row_number"] for e in examples] == [4, 6]
        assert "phone" in examples[0]["reason"].lower()
        assert "email" in examples[1]["reason"].lower()
        assert {"column": "Phone", "field": "phone"} in preview["mapping"]

        # Nothing was written: the upload still waits, the new phone finds nobody.
        after = client.get(f"/v1/uploads/{waiting['id']}").json()
        assert after["status"] == "uploaded"
        assert after["counts"]["imported"] == 0
        counts = client.post(
            "/v1/contacts/match-counts", json={"key": "phone", "values": [new, shared]}
        ).json()
        assert (counts["no_match"], counts["several_matches"]) == (1, 1)

        # The import then does what the preview said.
        done_start = client.post(
            f"/v1/uploads/{waiting['id']}/start",
            json={"target": {"kind": "group", "name": f"Preview {run}"}, "match": {"key": "phone"}},
        )
        assert done_start.status_code == 202, done_start.text
        done = wait_for_status(client, waiting["id"], {"completed", "failed"})
    assert done["counts"] == {
        "total": 6,
        "imported": 1,
        "updated": 2,
        "skipped": 0,
        "duplicates": 1,
        "errors": 2,
    }

    # Another tenant's preview of the same file matches none of the first tenant's contacts.
    with stack.client("globex") as globex:
        theirs = upload(globex, candidate, {"default_region": "US"})
        assert (
            globex.post(
                f"/v1/uploads/{theirs['id']}/preview", json={"match": {"key": "phone"}}
            ).status_code
            == 202
        )
        other = wait_for_preview(globex, theirs["id"])
        assert other["matches"]["no_match"] == 3
        assert globex.get(f"/v1/uploads/{waiting['id']}/preview").status_code == 404


def test_preview_of_a_larger_file_reports_progress_and_counts(stack: Stack, tmp_path: Path) -> None:
    data, expected = datagen.rows(12_000, seed=11, account_offset=8_000_000)
    path = datagen.write_csv(tmp_path / "large.csv", data)
    with stack.client("acme") as client:
        waiting = upload(client, path, {"start": False})
        assert (
            client.post(
                f"/v1/uploads/{waiting['id']}/preview", json={"match": {"key": "account_number"}}
            ).status_code
            == 202
        )
        # Progress for a bar, as server-sent events until the preview ends.
        events: list[tuple[str, dict[str, Any]]] = []
        with client.stream("GET", f"/v1/uploads/{waiting['id']}/preview/events") as stream:
            assert stream.headers["content-type"].startswith("text/event-stream")
            name = ""
            for line in stream.iter_lines():
                if line.startswith("event: "):
                    name = line.removeprefix("event: ")
                elif line.startswith("data: "):
                    events.append((name, json.loads(line.removeprefix("data: "))))
        preview = wait_for_preview(client, waiting["id"])
    assert events[-1][0] == "end"
    assert events[-1][1]["status"] == "completed"
    percents = [body["percent"] for _, body in events]
    assert percents == sorted(percents)
    assert preview["status"] == "completed", preview
    assert preview["counts"] == {
        "rows": expected.total,
        "valid": expected.total - expected.invalid - expected.duplicates,
        "invalid": expected.invalid,
        "duplicates": expected.duplicates,
    }
    assert preview["matches"]["no_match"] == preview["counts"]["valid"]
    assert len(preview["invalid_examples"]) == 20
    assert preview["rows_per_second"] > 0


def test_preview_with_a_bad_mapping_is_a_problem_at_once(stack: Stack, tmp_path: Path) -> None:
    path = write(tmp_path / "x.csv", "Phone\n+12125550100\n")
    with stack.client("acme") as client:
        waiting = upload(client, path, {})
        response = client.post(
            f"/v1/uploads/{waiting['id']}/preview", json={"mapping": {"Fax": "phone"}}
        )
        assert response.status_code == 422, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert "Fax" in response.json()["detail"]
        assert client.get(f"/v1/uploads/{waiting['id']}/preview").status_code == 404
        assert client.post("/v1/uploads/nope/preview", json={}).status_code == 404
