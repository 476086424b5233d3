"""Upload history (who, filters) and cancelling an import midway."""

import hashlib
import random
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from listflow.devstack import datagen

from tests.conftest import Stack, upload, wait_for_status


def history(client: httpx.Client, **params: Any) -> list[dict[str, Any]]:
    response = client.get("/v1/uploads", params={"limit": 200, **params})
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def test_history_shows_who_uploaded_and_filters_by_target_status_and_date(
    stack: Stack, tmp_path: Path
) -> None:
    run = f"{random.randrange(16**6):06x}"
    path = tmp_path / "h.csv"
    path.write_text(f"Phone,Account number\n+12125550190,HI-{run}\n", encoding="utf-8")
    group_a, group_b = f"History A {run}", f"History B {run}"
    with stack.client("acme") as client:
        first = upload(client, path, {"target": {"kind": "group", "name": group_a}})
        wait_for_status(client, first["id"], {"completed"})
        between = datetime.fromisoformat(
            client.get(f"/v1/uploads/{first['id']}").json()["created_at"]
        )
        second = upload(client, path, {"target": {"kind": "group", "name": group_a}})
        third = upload(client, path, {"target": {"kind": "group", "name": group_b}})
        waiting = client.post(
            "/v1/uploads",
            files={"file": ("w.csv", path.read_bytes(), "text/csv")},
            data={"options": "{}"},
            headers={"X-Listflow-User": "maria@acme"},
        ).json()
        for done in (second, third):
            wait_for_status(client, done["id"], {"completed"})
        with client.stream("GET", f"/v1/uploads/{third['id']}/events") as stream:
            lines = list(stream.iter_lines())
        assert "event: end" in lines
        assert '"status":"completed"' in lines[-2] or '"status":"completed"' in lines[-1]

        key_id = "key:" + hashlib.sha256(stack.tenants["acme"].key.encode()).hexdigest()[:12]
        assert first["uploaded_by"] == key_id
        assert waiting["uploaded_by"] == "maria@acme"

        in_a = history(client, target=group_a)
        assert [u["id"] for u in in_a] == [second["id"], first["id"]]
        assert all(u["counts"]["total"] == 1 and u["status"] == "completed" for u in in_a)
        assert [u["id"] for u in history(client, target=third["target"]["id"])] == [third["id"]]
        assert waiting["id"] in [u["id"] for u in history(client, status="uploaded")]
        assert waiting["id"] not in [u["id"] for u in history(client, status="completed")]
        assert first["id"] in [u["id"] for u in history(client, status="completed")]

        later = [
            u["id"]
            for u in history(client, **{"from": first["created_at"], "to": waiting["created_at"]})
        ]
        assert first["id"] in later and third["id"] in later and waiting["id"] not in later
        after_first = [
            u["id"] for u in history(client, target=group_a, **{"from": between.isoformat()})
        ]
        assert first["id"] in after_first  # `from` is inclusive
        assert history(client, target=group_a, to=first["created_at"]) == []
        assert client.get("/v1/uploads", params={"status": "sleeping"}).status_code == 422

        page = client.get("/v1/uploads", params={"limit": 1, "target": group_a}).json()
        assert [u["id"] for u in page["items"]] == [second["id"]]
        rest = client.get(
            "/v1/uploads", params={"limit": 1, "target": group_a, "cursor": page["next_cursor"]}
        ).json()
        assert [u["id"] for u in rest["items"]] == [first["id"]]


def contacts_in(client: httpx.Client, group: str) -> int:
    count, cursor = 0, None
    while True:
        params: dict[str, Any] = {"group": group, "limit": 1000}
        if cursor:
            params["cursor"] = cursor
        page = client.get("/v1/contacts", params=params).json()
        count += len(page["items"])
        cursor = page["next_cursor"]
        if not cursor:
            return count


def test_cancel_mid_import_stops_reading_and_keeps_counts_consistent(
    stack: Stack, tmp_path: Path
) -> None:
    rows = 100_000
    data, _ = datagen.rows(rows, seed=21, account_offset=9_000_000)
    path = datagen.write_csv(tmp_path / "big.csv", data)
    group = f"Cancelled {random.randrange(16**6):06x}"
    with stack.client("acme") as client:
        waiting = upload(client, path, {"target": {"kind": "group", "name": group}, "start": False})
        started = client.post(f"/v1/uploads/{waiting['id']}/start", json={})
        assert started.status_code == 202, started.text
        cancelled = client.post(f"/v1/uploads/{waiting['id']}/cancel")
        assert cancelled.status_code == 200, cancelled.text
        assert cancelled.json()["status"] == "cancelled"
        assert client.post(f"/v1/uploads/{waiting['id']}/cancel").status_code == 409
        assert client.post(f"/v1/uploads/{waiting['id']}/start", json={}).status_code == 409

        # Rows published before the cancel are still merged and counted; then all is quiet,
        # and every contact written is counted in the upload.
        deadline = time.monotonic() + 240
        stable = 0
        last: tuple[int, int] | None = None
        while stable < 3:
            assert time.monotonic() < deadline, last
            body = client.get(f"/v1/uploads/{waiting['id']}").json()
            written = contacts_in(client, group)
            current = (body["progress"]["processed"], written)
            counted = body["counts"]["imported"] + body["counts"]["updated"]
            stable = stable + 1 if current == last and counted == written else 0
            last = current
            time.sleep(1.0)
        assert body["status"] == "cancelled"
        assert body["progress"]["rows_read"] < rows
        assert written == counted
        assert [u["status"] for u in history(client, target=group)] == ["cancelled"]
