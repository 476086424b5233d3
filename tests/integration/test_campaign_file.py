"""Must show (issue 12): the campaign file lists every customer of an upload once, with a
URL that opens their own page on the real portal (its ID&V step), and no national id; the
campaign's own file holds its audience; another tenant gets none of it."""

import csv
import io
import secrets
import time
from pathlib import Path

import httpx

from tests.conftest import Stack
from tests.integration.contacts_support import run_upload

SSNS = ["123-45-6789", "234-56-7812", "345-67-8123"]


def _rows(client: httpx.Client, path: str, **params: str) -> list[list[str]]:
    answer = client.get(path, params=params)
    assert answer.status_code == 200, answer.text
    return list(csv.reader(io.StringIO(answer.text)))


def test_the_campaign_file_lists_every_customer_once_with_a_url_that_opens_their_portal(
    stack: Stack, tmp_path: Path
) -> None:
    run = secrets.token_hex(4)
    group = f"File group {run}"
    rows = [
        {
            "first_name": name,
            "last_name": "File",
            "customer_id": f"CF-{run}-{n}",
            "account_number": f"CF-{run}-{n}",
            "balance": "120.50",
            "currency": "USD",
            "email": f"{name.lower()}-{run}@example.com",
            "phone": f"+1415555{n:04d}",
            "ssn": ssn,
            "date_of_birth": "1980-05-17",
            "postcode": "94105",
        }
        for n, (name, ssn) in enumerate(zip(("Ada", "Bea", "Cai"), SSNS, strict=True))
    ]
    with stack.client("acme") as acme:
        done = run_upload(acme, tmp_path, rows, group=group, match={"key": "account_number"})
        assert done["status"] == "completed" and done["counts"]["imported"] == 3, done
        upload_id = done["id"]
        # The portal issues each customer's link on ListReady; campaigns reads it from
        # portal.links.v1: the file fills in as the links arrive.
        deadline = time.monotonic() + 120
        while True:
            file = _rows(acme, "/v1/campaign-file.csv", upload_id=upload_id)
            if len(file) == 4 and all(r[5] for r in file[1:]):
                break
            assert time.monotonic() < deadline, file
            time.sleep(0.5)
        xlsx = acme.get("/v1/campaign-file.xlsx", params={"upload_id": upload_id})
        assert xlsx.status_code == 200 and xlsx.content.startswith(b"PK")

        template = acme.post(
            "/v1/message-templates",
            json={"name": f"File {run}", "channel": "email", "subject": "Hi", "text": "Hi"},
        ).json()
        campaign = acme.post(
            "/v1/campaigns",
            json={
                "name": f"File {run}",
                "channel": "email",
                "template_id": template["id"],
                "audience": {"groups": [group]},
            },
        ).json()
        own = _rows(acme, f"/v1/campaigns/{campaign['id']}/campaign-file.csv")
    with stack.client("globex") as globex:
        assert _rows(globex, "/v1/campaign-file.csv", upload_id=upload_id) == [file[0]]
        other = globex.get(f"/v1/campaigns/{campaign['id']}/campaign-file.csv")
        assert other.status_code == 404

    assert file[0] == ["contact_id", "customer_id", "name", "phone", "email", "portal_url"]
    body = file[1:]
    assert sorted(r[1] for r in body) == sorted(r["customer_id"] for r in rows)  # once each
    assert len({r[0] for r in body}) == 3
    assert sorted(own[1:]) == sorted(body)
    assert {r[3] for r in body} == {f"'{r['phone']}" for r in rows}  # E.164, quoted as text
    text = "\n".join(",".join(r) for r in file)
    for ssn in SSNS:
        assert ssn not in text and ssn.replace("-", "") not in text
        assert ssn[-4:] not in text
    for row in body:
        url = row[5]
        assert url.startswith(f"{stack.gateway_url}/p/"), url
        with httpx.Client(timeout=60.0, follow_redirects=True) as customer:
            page = customer.get(url)
        assert page.status_code == 200, (url, page.status_code)
        assert str(page.url).endswith("/p/verify")
        assert "Confirm it is you" in page.text
