"""The campaign file as CSV or XLSX: contact id, customer id, name, phone (E.164), email
and the customer's own portal URL, once per customer, for a campaign's audience or for a
segment (an upload or groups, narrowed by balance, update dates and postcode prefix).
Streamed and spreadsheet-safe (kit.exports); no national id is in it."""

from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import FileResponse, StreamingResponse
from listflow.campaigns.domain.model import Audience, Filters
from listflow.campaigns.entrypoints.campaigns_api import CampaignId, FiltersIn
from listflow.campaigns.entrypoints.deps import ContainerDep
from listflow.kit.auth import TenantDep
from listflow.kit.exports import CSV, XLSX, csv_response, xlsx_response
from listflow.kit.problems import PROBLEM_RESPONSES
from listflow.schemas.text import Id, Name, ShortText
from pydantic import Field

router = APIRouter(tags=["campaign files"], responses=PROBLEM_RESPONSES)
Format = Literal["csv", "xlsx"]
FILES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The file, one row per customer after the header",
        "content": {CSV: {"schema": {"type": "string"}}, XLSX: {"schema": {"type": "string"}}},
    }
}


class Segment(FiltersIn):
    """The customers of the file: of an upload and/or groups, narrowed by ranges."""

    upload_id: Id | None = None
    group: list[Name] = Field(default=[], max_length=50, description="Contact group names")
    tag: list[ShortText] = Field(default=[], max_length=50, description="Every one required")

    def audience(self) -> Audience:
        filters = self.model_dump(exclude={"upload_id", "group", "tag"})
        return Audience(
            groups=tuple(self.group),
            tags=tuple(self.tag),
            upload_id=self.upload_id,
            filters=Filters(**filters),
        )


async def _answer(
    container: ContainerDep, rows: AsyncIterator[list[str]], fmt: Format, stem: str
) -> StreamingResponse | FileResponse:
    if fmt == "csv":
        return csv_response(rows, f"{stem}.csv")
    spool = container.settings.campaigns_spool_dir
    spool.mkdir(parents=True, exist_ok=True)
    return await xlsx_response(rows, "Customers", f"{stem}.xlsx", spool)


@router.get(
    "/v1/campaigns/{campaign_id}/campaign-file.{fmt}",
    summary="The campaign's customers with their portal URLs (CSV or XLSX)",
    response_class=StreamingResponse,
    response_model=None,
    responses=FILES,
)
async def campaign_file(
    container: ContainerDep, tenant: TenantDep, campaign_id: CampaignId, fmt: Format
) -> StreamingResponse | FileResponse:
    """Every customer of the campaign's audience (its groups or upload, tags and filters,
    as targeting chooses them) once; the portal URL is empty until the portal has issued
    the customer's link."""
    rows = await container.files.of_campaign(tenant.id, campaign_id)
    return await _answer(container, rows, fmt, "campaign-file")


@router.get(
    "/v1/campaign-file.{fmt}",
    summary="A segment's customers with their portal URLs (CSV or XLSX)",
    response_class=StreamingResponse,
    response_model=None,
    responses=FILES,
)
async def segment_file(
    container: ContainerDep,
    tenant: TenantDep,
    fmt: Format,
    segment: Annotated[Segment, Query()],
) -> StreamingResponse | FileResponse:
    """Every customer of one upload (or of groups) once, narrowed by balance range, update
    dates and postcode prefix: `?upload_id=...&balance_min=100&postcode_prefix=SW1`."""
    rows = container.files.of_segment(tenant.id, segment.audience())
    return await _answer(container, rows, fmt, "campaign-file")
