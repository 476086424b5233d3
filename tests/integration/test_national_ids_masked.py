"""National ids never leave in clear: every HTTP answer of a whole upload flow is scanned for
the SSNs and document numbers of the file, in every spelling, and holds none of them.

The sample and the preview show them by their last four characters (as errors.csv does);
date of birth stays visible (see docs/architecture.md, "National ids in answers")."""

import io
import json
import random
import zipfile
from pathlib import Path
from typing import Any

import httpx

from tests.conftest import Stack, upload, wait_for_status
from tests.integration.test_preview import wait_for_preview


def _ssn(rng: random.Random) -> str:
    return f"{rng.randint(100, 665)}-{rng.randint(10, 99)}-{rng.randint(1000, 9999)}"


def _spellings(value: str) -> set[str]:
    """A national id as a file, a normalizer or a report might write it."""
    bare = value.replace("-", "").replace(" ", "")
    return {value, bare, bare.upper(), value.upper()}


def _text(response: httpx.Response) -> str:
    """The body as text; an XLSX workbook is a zip, so its XML parts are read instead."""
    assert response.status_code < 400, (response.request.url, response.text)
    if response.content[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(response.content)) as book:
            return "".join(book.read(n).decode("utf-8", "replace") for n in book.namelist())
    return response.text


def _sse(client: httpx.Client, path: str) -> str:
    with client.stream("GET", path, timeout=240.0) as response:
        assert response.status_code == 200
        return "".join(response.iter_text())


def test_no_answer_of_a_whole_upload_flow_carries_a_national_id_in_clear(
    stack: Stack, tmp_path: Path
) -> None:
    rng = random.Random()
    run = f"{rng.randrange(16**6):06x}"
    ssns = [_ssn(rng) for _ in range(5)]
    documents = [f"P{run}{n}{rng.randint(1000, 9999)}".upper() for n in range(5)]
    bad_ssn = f"{rng.randint(100, 665)}-{rng.randint(10, 99)}-{rng.randint(100, 999)}"  # 8 digits
    phones = [f"+1212{rng.randint(200, 999)}{rng.randint(0, 9999):04d}" for _ in range(5)]
    path = tmp_path / "ids.csv"
    path.write_text(
        "First name,Phone,SSN,Document number,Date of birth\n"
        f"Ana,{phones[0]},{ssns[0]},{documents[0]},1980-02-29\n"
        f"Ben,{phones[1]},{ssns[1]},{documents[1]},1975-12-01\n"
        f"Cy,12,{ssns[2]},{documents[2]},1990-07-04\n"  # invalid phone: errors.csv shows the row
        f"Dee,{phones[3]},{bad_ssn},{documents[3]},1966-01-15\n"  # invalid SSN
        f"Ana again,{phones[0]},{ssns[4]},{documents[4]},1980-02-29\n",  # in-file duplicate
        encoding="utf-8",
    )
    answers: list[tuple[str, str]] = []

    def keep(name: str, response: httpx.Response) -> dict[str, Any]:
        answers.append((name, _text(response)))
        try:
            body: dict[str, Any] = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            return {}
        return body

    group = f"National ids {run}"
    with stack.client("acme") as client:
        with path.open("rb") as f:
            accepted = keep(
                "accept",
                client.post(
                    "/v1/uploads",
                    files={"file": (path.name, f, "text/csv")},
                    data={"options": json.dumps({"default_region": "US"})},
                ),
            )
        upload_id = accepted["id"]
        assert accepted["status"] == "uploaded"
        # The sample shows the ids by their last four characters and keeps the date of birth.
        first = accepted["sample"][0]
        assert first[2] == "*******" + ssns[0][-4:]
        assert first[3] == "*" * (len(documents[0]) - 4) + documents[0][-4:]
        assert first[4] == "1980-02-29"
        got = keep("get", client.get(f"/v1/uploads/{upload_id}"))
        assert got["sample"] == accepted["sample"]

        keep("preview start", client.post(f"/v1/uploads/{upload_id}/preview", json={}))
        preview = wait_for_preview(client, upload_id)
        assert preview["status"] == "completed", preview
        answers.append(("preview", json.dumps(preview)))
        # The invalid SSN is an example, shown by its last four digits only.
        ssn_examples = [e for e in preview["invalid_examples"] if e["column"] == "SSN"]
        assert ssn_examples, preview["invalid_examples"]
        assert ssn_examples[0]["value"] == "***-**-" + bad_ssn.replace("-", "")[-4:]
        answers.append(("preview events", _sse(client, f"/v1/uploads/{upload_id}/preview/events")))

        started = keep(
            "start",
            client.post(
                f"/v1/uploads/{upload_id}/start",
                json={"target": {"kind": "group", "name": group}, "default_region": "US"},
            ),
        )
        assert started["sample"] == accepted["sample"]
        answers.append(("events", _sse(client, f"/v1/uploads/{upload_id}/events")))
        done = wait_for_status(client, upload_id, {"completed"})
        answers.append(("get after", json.dumps(done)))
        assert done["counts"]["errors"] == 2 and done["counts"]["duplicates"] == 1, done["counts"]
        keep("errors.csv", client.get(f"/v1/uploads/{upload_id}/errors.csv"))
        assert "*******" + ssns[2][-4:] in answers[-1][1]  # the rejected row, id masked
        keep("errors.xlsx", client.get(f"/v1/uploads/{upload_id}/errors.xlsx"))
        keep("export.csv", client.get(f"/v1/uploads/{upload_id}/export.csv"))
        keep("export.xlsx", client.get(f"/v1/uploads/{upload_id}/export.xlsx"))
        keep("history", client.get("/v1/uploads"))
        keep("history of the group", client.get("/v1/uploads", params={"target": group}))
        keep("contacts", client.get("/v1/contacts", params={"group": group}))

    clear = {s for value in [*ssns, bad_ssn, *documents] for s in _spellings(value)}
    leaks = [(name, value) for name, body in answers for value in clear if value in body]
    assert not leaks, leaks
    # The scan read what it should: every answer, the sample's masked ids among them.
    assert len(answers) == 15
    assert any(ssns[1][-4:] in body for _, body in answers)


def test_a_column_mapped_to_an_id_only_at_start_is_masked_from_then_on(
    stack: Stack, tmp_path: Path
) -> None:
    rng = random.Random()
    ssn = _ssn(rng)
    path = tmp_path / "reference.csv"
    path.write_text(f"First name,Phone,Reference\nAna,+12125550100,{ssn}\n", encoding="utf-8")
    with stack.client("acme") as client:
        accepted = upload(client, path, {"default_region": "US"})
        assert accepted["status"] == "uploaded"
        started = client.post(
            f"/v1/uploads/{accepted['id']}/start",
            json={
                "target": {"kind": "group", "name": f"Reference {ssn[-4:]}"},
                "mapping": {"Reference": "ssn"},
            },
        )
        assert started.status_code == 202, started.text
        assert started.json()["sample"][0][2] == "*******" + ssn[-4:]
        done = wait_for_status(client, accepted["id"], {"completed"})
        assert done["sample"][0][2] == "*******" + ssn[-4:]
        assert ssn not in client.get("/v1/uploads").text
