"""The campaign file over the in-memory fakes (the must-show run on the real stack, whose
URLs open the real portal, is tests/integration/test_campaign_file.py): every customer of
the audience once with their portal URL, CSV and XLSX, spreadsheet-safe, no national id,
segments by upload, balance, dates and postcode, one tenant's file only."""

import csv
import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal

import httpx
import openpyxl
import pytest
from listflow.campaigns.adapters.memory_repository import InMemoryCampaignRepository
from listflow.campaigns.bootstrap import bootstrap
from listflow.campaigns.config import Settings
from listflow.campaigns.domain.model import ContactView
from listflow.campaigns.entrypoints.main import create_app
from listflow.kit.settings import api_key_digest
from listflow.schemas.values import Account, ContactData, Phone, ProtectedId

NOON = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
KEYS = {"t1": "lf_key_one_for_tests", "t2": "lf_key_two_for_tests"}


class Nothing:
    async def send(self, _: object) -> str:
        raise AssertionError("nothing is sent")

    async def wait(self, limit_s: float) -> bool:
        return True


def customer(
    cid: str,
    *,
    tenant: str = "t1",
    balance: str = "100",
    postcode: str = "SW1A 1AA",
    **data: object,
) -> ContactView:
    return ContactView(
        id=cid,
        tenant_id=tenant,
        version=1,
        data=ContactData(
            **{"first_name": cid.title(), **data},  # type: ignore[arg-type]
            last_name="Ruiz",
            customer_id=f"CU-{cid}",
            emails=(f"{cid}@example.com",),
            phones=(Phone(e164="+447700900123"),),
            accounts=(Account(number=f"A-{cid}", balance=Decimal(balance), currency="GBP"),),
            postcode=postcode,
            ssn=ProtectedId(hash="h", last4="6789"),
        ),
        group_ids=(),
        upload_ids=("up1",),
        updated_at=NOON,
    )


@pytest.fixture
async def client(tmp_path: object) -> AsyncIterator[httpx.AsyncClient]:
    repo = InMemoryCampaignRepository()
    settings = Settings(
        api_keys={t: [api_key_digest(k)] for t, k in KEYS.items()},  # type: ignore[call-arg]
        campaigns_spool_dir=tmp_path,  # type: ignore[arg-type]
    )
    container = bootstrap(
        settings,
        repository=repo,
        sms=Nothing(),  # type: ignore[arg-type]
        email=Nothing(),  # type: ignore[arg-type]
        barrier=Nothing(),
        clock=lambda: NOON,
    )
    await repo.upsert_contacts(
        [
            customer("ana"),
            customer("bo", balance="900", postcode="EC1A 1BB"),
            customer("cy", first_name='=HYPERLINK("http://evil")'),
            customer("zed", tenant="t2"),
        ]
    )
    await repo.set_link("t1", "ana", "l1", "https://pay.example/p/ana-token", NOON)
    transport = httpx.ASGITransport(app=create_app(container))
    async with httpx.AsyncClient(
        transport=transport, base_url="http://campaigns", headers={"X-API-Key": KEYS["t1"]}
    ) as c:
        yield c


async def test_every_customer_of_the_upload_once_with_the_portal_url(
    client: httpx.AsyncClient,
) -> None:
    answer = await client.get("/v1/campaign-file.csv", params={"upload_id": "up1"})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(answer.text)))
    assert rows[0] == ["contact_id", "customer_id", "name", "phone", "email", "portal_url"]
    by_id = {r[0]: r for r in rows[1:]}
    assert sorted(by_id) == ["ana", "bo", "cy"]  # once each, nobody of another tenant
    assert by_id["ana"] == [
        "ana",
        "CU-ana",
        "Ana Ruiz",
        "'+447700900123",  # a leading + is quoted, as every export of the repo does
        "ana@example.com",
        "https://pay.example/p/ana-token",
    ]
    assert by_id["bo"][5] == ""  # no link issued yet
    assert by_id["cy"][2].startswith("'=HYPERLINK")  # shown, never evaluated
    assert "6789" not in answer.text


async def test_the_xlsx_holds_the_same_rows_as_text(client: httpx.AsyncClient) -> None:
    answer = await client.get("/v1/campaign-file.xlsx", params={"upload_id": "up1"})
    assert answer.status_code == 200, answer.text
    sheet = openpyxl.load_workbook(io.BytesIO(answer.content), read_only=True).active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]  # type: ignore[union-attr]
    assert len(rows) == 4 and rows[0][5] == "portal_url"
    cy = next(r for r in rows if r[0] == "cy")
    assert str(cy[2]).startswith("=HYPERLINK")  # a text cell, not a formula
    assert not any("6789" in str(c) for r in rows for c in r)


async def test_segments_narrow_by_balance_dates_and_postcode(client: httpx.AsyncClient) -> None:
    async def ids(**params: str) -> list[str]:
        answer = await client.get("/v1/campaign-file.csv", params={"upload_id": "up1", **params})
        assert answer.status_code == 200, answer.text
        return sorted(r[0] for r in list(csv.reader(io.StringIO(answer.text)))[1:])

    assert await ids(balance_min="500") == ["bo"]
    assert await ids(balance_max="500") == ["ana", "cy"]
    assert await ids(postcode_prefix="ec1") == ["bo"]
    assert await ids(updated_before="2026-03-02T12:00:00Z") == []
    assert await ids(updated_since="2026-03-02T12:00:00Z") == ["ana", "bo", "cy"]


async def test_a_file_without_upload_or_group_or_with_bad_ranges_is_a_problem(
    client: httpx.AsyncClient,
) -> None:
    for params in ({}, {"upload_id": "up1", "balance_min": "lots"}, {"upload_id": "up1", "x": "1"}):
        answer = await client.get("/v1/campaign-file.csv", params=params)
        assert answer.status_code == 422, (params, answer.text)
        assert answer.headers["content-type"].startswith("application/problem+json")
    assert (
        await client.get("/v1/campaign-file.pdf", params={"upload_id": "up1"})
    ).status_code == 422
    assert (await client.get("/v1/campaigns/nope/campaign-file.csv")).status_code == 404
