"""Preview of an upload: what an import with these options would do, writing nothing."""

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from listflow.ingest.domain.previews import eta_seconds, preview_percent, rows_per_second
from listflow.ingest.entrypoints.deps import container_of
from listflow.ingest.entrypoints.uploads import parse_options
from listflow.kit.auth import TenantDep
from listflow.kit.problems import PROBLEM_RESPONSES, Problem
from pydantic import BaseModel, Field

router = APIRouter(prefix="/v1/uploads", tags=["uploads"], responses=PROBLEM_RESPONSES)


class PreviewCounts(BaseModel):
    rows: int
    valid: int
    invalid: int
    duplicates: int


class PreviewMatches(BaseModel):
    key: str
    no_match: int
    one_match: int
    several_matches: int


class InvalidExample(BaseModel):
    row_number: int
    column: str
    value: str
    reason: str


class DateOrderPublic(BaseModel):
    column: str
    order: Literal["DMY", "MDY", "YMD"]
    source: Literal["option", "values", "region"] = Field(
        description="What decided the order: the date_order option, the column's own values, "
        "or (when the values could not tell) the upload's region"
    )
    ambiguous: bool = Field(description="The values could not tell: check the order")


class PreviewPublic(BaseModel):
    upload_id: str
    status: Literal["running", "completed", "failed"]
    percent: float
    rows_per_second: float | None
    eta_seconds: float | None
    counts: PreviewCounts
    matches: PreviewMatches
    invalid_examples: list[InvalidExample]
    mapping: list[dict[str, str]]
    date_orders: list[DateOrderPublic] = Field(
        default_factory=list, description="The order each mapped date column is read in"
    )
    failure: str | None
    started_at: datetime
    completed_at: datetime | None


def _public(doc: dict[str, Any]) -> PreviewPublic:
    now = datetime.now(UTC)
    return PreviewPublic(
        upload_id=doc["_id"],
        status=doc["status"],
        percent=preview_percent(doc),
        rows_per_second=rows_per_second(doc, now),
        eta_seconds=eta_seconds(doc, now),
        counts=PreviewCounts(**doc["counts"]),
        matches=PreviewMatches(key=doc["match_key"], **doc["matches"]),
        invalid_examples=[InvalidExample(**e) for e in doc["invalid_examples"]],
        mapping=doc["mapping"],
        date_orders=[DateOrderPublic(**o) for o in doc.get("date_orders", [])],
        failure=doc.get("failure"),
        started_at=doc["started_at"],
        completed_at=doc.get("completed_at"),
    )


@router.post(
    "/{upload_id}/preview",
    status_code=202,
    response_model=PreviewPublic,
    summary="Validate the whole file and count matches against stored contacts; writes nothing",
    description="Takes the same options as /start. Answers at once; the preview runs as a job: "
    "poll GET /v1/uploads/{id}/preview until its status is completed (or failed).",
)
async def start_preview(
    request: Request, tenant: TenantDep, upload_id: str, body: dict[str, Any] | None = None
) -> PreviewPublic:
    options = parse_options(json.dumps(body)) if body else None
    doc = await container_of(request).previews.start(
        tenant_id=tenant.id,
        upload_id=upload_id,
        options=options,
        api_key=request.headers.get("x-api-key", ""),
    )
    return _public(doc)


@router.get(
    "/{upload_id}/preview",
    response_model=PreviewPublic,
    summary="The upload's latest preview: progress, then counts",
)
async def get_preview(request: Request, tenant: TenantDep, upload_id: str) -> PreviewPublic:
    doc = await container_of(request).previews.get(tenant.id, upload_id)
    if doc is None:
        raise Problem(404, "Not Found", f"Upload {upload_id} has no preview in this tenant.")
    return _public(doc)


@router.get(
    "/{upload_id}/preview/events",
    summary="The preview's progress as server-sent events until it ends",
    response_class=StreamingResponse,
)
async def preview_events(request: Request, tenant: TenantDep, upload_id: str) -> StreamingResponse:
    previews = container_of(request).previews
    if await previews.get(tenant.id, upload_id) is None:
        raise Problem(404, "Not Found", f"Upload {upload_id} has no preview in this tenant.")

    async def stream() -> AsyncIterator[str]:
        last = None
        while not await request.is_disconnected():
            doc = await previews.get(tenant.id, upload_id)
            if doc is None:
                return
            public = _public(doc).model_dump_json()
            if public != last:
                yield f"event: progress\ndata: {public}\n\n"
                last = public
            if doc["status"] != "running":
                yield f"event: end\ndata: {public}\n\n"
                return
            await asyncio.sleep(0.5)

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
